"""`python -m registry bootstrap [USERNAME]`: the county's first administrator.

Run by `make run` (or an operator on the registry host) against registry's own database: it
needs no token because nobody can have one yet, and it refuses once the county has users. The
one-time password is printed once; the administrator changes it at first sign-in.
"""

from __future__ import annotations

import threading

from registry.directory import use_cases as directory
from sanbao_common.db import DatabaseHandle, create_database_engine
from sanbao_common.errors import DomainError


def bootstrap(config: dict, arguments: list[str]) -> int:
    username = arguments[0] if arguments else "admin"
    engine = create_database_engine(config["registry"]["DATABASE_URL"], pool_size=1)
    try:
        with DatabaseHandle(engine, threading.Lock()).unit_of_work() as uow:
            user, password = directory.bootstrap(
                uow, config["COUNTY"], username, config["registry"]["PASSWORD_SCRYPT_N"]
            )
            uow.commit()
    except DomainError as exc:
        print(f"registry bootstrap: {exc}")
        return 3
    finally:
        engine.dispose()
    print(f"county administrator: {user.username}")
    print(f"one-time password:    {password}")
    print("sign in with `sanbao login` and change it; it is not shown again.")
    return 0
