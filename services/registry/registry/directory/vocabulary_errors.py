"""Errors a caller of the vocabularies' RPC can act on (registry's other errors are in
`registry.exceptions`; these belong to the vocabulary sub-domain alone)."""

from sanbao_common.errors import DomainError


class VocabularyRejected(DomainError):
    """A change to a vocabulary that would break it: nothing of it is written."""

    code = "VOCABULARY_REJECTED"
    message_en = "the vocabulary cannot be changed so"
    message_zh = "词表不能如此修改"


class ConcurrentVocabularyChange(DomainError):
    code = "CONCURRENT_VOCABULARY_CHANGE"
    message_en = "the vocabulary was being changed at the same moment elsewhere; send again"
    message_zh = "该词表正在别处同时修改，请重新提交"
