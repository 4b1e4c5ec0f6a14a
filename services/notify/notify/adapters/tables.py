"""notify's own tables: so far only the kit's, for the consumer every service has (token
revocations). Its capabilities, and their tables, come in later issues."""

from sqlalchemy import MetaData

from sanbao_common.messaging.tables import inbox_table
from sanbao_common.revocations import token_revocations_table

metadata = MetaData()
inbox = inbox_table(metadata)
token_revocations = token_revocations_table(metadata)
