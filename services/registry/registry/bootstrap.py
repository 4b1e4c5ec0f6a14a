"""`python -m registry bootstrap [USERNAME]`: the county's first administrator; `python -m
registry sample-villages`: the demonstration list of villages, for a county whose list is empty.

Run by `make run` (or an operator on the registry host) against registry's own database: they
need no token because nobody can have one yet. `bootstrap` refuses once the county has users;
the one-time password is printed once, and the administrator changes it at first sign-in.
`sample-villages` does nothing once the county has a list (a real county imports its own:
`sanbao directory villages import`).
"""

from __future__ import annotations

import threading

from registry.directory import use_cases as directory
from registry.directory.village_use_cases import seed_sample_villages
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


def seed_villages(database_url: str, county: str) -> int:
    """The sample village list (sanbao_common.sample_villages) in registry's database at
    `database_url` if the county has none yet; how many villages were added. What `make run`,
    the tests' databases and the benchmarks start from."""
    engine = create_database_engine(database_url, pool_size=1)
    try:
        with DatabaseHandle(engine, threading.Lock()).unit_of_work() as uow:
            added = seed_sample_villages(uow, county)
            uow.commit()
    finally:
        engine.dispose()
    return added


def sample_villages(config: dict, arguments: list[str]) -> int:
    added = seed_villages(config["registry"]["DATABASE_URL"], config["COUNTY"])
    if added:
        print(f"sample village list: {added} villages of county {config['COUNTY']} added")
    else:
        print("the county has a village list already: nothing added")
    return 0
