"""The steps two organisations take through `sanbao` before any money moves, shared by the
end-to-end tests that need them (test_fund.py, test_dispatch.py): the HR company registered in
the directory with its bank account; people of both organisations; each organisation's seal
submitted by its own people and confirmed by the finance bureau's seal registrar; signatories
certified by their organisation's seal; the cooperation agreement drafted by the county and
sealed by both; the joint account the fund opens from it, and its principal.

    parties = Parties(stack, tmp_path)
    parties.set_up()            # every step, in order (or call them one by one, as test_fund)
    parties.ok("fund", "show", parties.account, home=parties.home("li.fin"))
"""

from __future__ import annotations

import time

HR_BANK = ("中国建设银行蒙自支行", "红河人力资源有限公司", "53050163754100000123")
# username -> (organisation: county|hr, role); the signatories are certified by their seal.
PEOPLE = {
    "li.fin": ("county", "finance"),
    "chen.sign": ("county", "coop_operator"),
    "hr.fin": ("hr", "finance"),
    "zhou.sign": ("hr", "hr_operator"),
}
SIGNATORIES = {"chen.sign": "county", "zhou.sign": "hr"}
FILINGS = {"county": "个旧财金备〔2026〕6号", "hr": "个旧财金备〔2026〕7号"}
PRINCIPAL = "200000.00"


def value(text: str, label: str) -> str:
    """The value `sanbao` shows next to `label` in a record table."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 2 and cells[1] == label:
            return cells[2]
    raise AssertionError(f"{label} not shown in:\n{text}")


def retried(attempt, within=30):
    """Services learn of seals, signatories, agreements and labourers from events: retry until
    they have."""
    deadline = time.monotonic() + within
    while True:
        result = attempt()
        if result.returncode == 0 or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


class Parties:
    """The county cooperative and an HR company working one joint account through `sanbao` on a
    running stack signed in as its administrator."""

    def __init__(self, stack, tmp_path):
        self.stack, self.tmp_path = stack, tmp_path
        stack.env["SANBAO_KEY_PASSPHRASE"] = "a passphrase for the test's keys"
        self.admin_home = stack.env["XDG_CONFIG_HOME"]
        self.homes = stack.homes  # username -> home (their token), password, user id
        self.orgs: dict[str, str] = {}  # county|hr -> org id
        self.seals: dict[str, str] = {}  # county|hr -> fingerprint
        self.account: str | None = None  # the agreement's id, and the joint account's

    def home(self, username: str | None) -> str:
        return self.homes[username][0] if username else self.admin_home

    def run(self, *args, stdin=None, home=None, **options):
        """`sanbao ARGS` as the owner of `home` (the administrator unless given)."""
        return self.stack.cli(*args, stdin=stdin, home=home or self.admin_home, **options)

    def ok(self, *args, stdin=None, home=None, **options) -> str:
        result = self.run(*args, stdin=stdin, home=home, **options)
        assert result.returncode == 0, result.stderr + result.stdout
        return result.stdout

    def seal_file(self, name: str) -> str:
        return str(self.tmp_path / f"{name}-seal.pem")

    def key_file(self, username: str) -> str:
        return str(self.tmp_path / f"{username}.pem")

    # -- the steps, in order -----------------------------------------------------------------------

    def register_organisations(self) -> None:
        """The HR company in the directory with the bank account its money goes to (set by the
        county's administrator: the fund pays it nowhere else), and the people of both."""
        self.orgs["county"] = value(self.ok("whoami"), "organisation_id")
        self.orgs["hr"] = value(self.ok(
            "org", "register", "--kind", "hr_company", "--name", "红河人力资源有限公司",
            "--credit-code", "91532501MA6K2XQ93P"), "org_id")  # fmt: skip
        for username, (org, role) in PEOPLE.items():
            self.stack.person(username, self.orgs[org], role)  # created, signed in
        bank, name, number = HR_BANK
        self.ok("org", "bank-account", self.orgs["hr"], "--bank-name", bank, "--account-name",
                name, "--account-number", number, "--reason", "合作协议约定的收款账户")  # fmt: skip

    def submit_seals(self) -> None:
        """Each organisation submits its own seal, signed in as one of its people: pending
        until the registrar confirms it."""
        for name, username in (("county", None), ("hr", "hr.fin")):
            shown = self.ok("seal", "new", "--org", self.orgs[name], "--out",
                            self.seal_file(name), home=self.home(username))  # fmt: skip
            assert value(shown, "status") == "pending"
            assert "registrar" in shown  # it says it waits for the registrar's confirmation
            self.seals[name] = value(shown, "fingerprint")

    def confirm_seals(self) -> None:
        """The finance bureau's seal registrar confirms both seals with the pinned key."""
        for name in ("county", "hr"):
            confirmed = self.stack.confirm_seal(self.seals[name], FILINGS[name])
            assert value(confirmed, "status") == "effective"
            assert self.seals[name] in confirmed  # compared with the paper filing

    def certify_signatories(self) -> None:
        """Each organisation's seal certifies its signatory's key; signing in again picks up the
        signatory role the certificates gave."""
        for username, org in SIGNATORIES.items():
            public = value(self.ok("keys", "new", "--out", self.key_file(username)), "public key")
            self.ok("seal", "certify", "--seal", self.seal_file(org), "--org", self.orgs[org],
                    "--user", self.homes[username][2], "--public-key", public, "--limit",
                    "100000")  # fmt: skip
        for username in self.homes:
            self.stack.sign_in(username)

    def draft_agreement(self) -> str:
        """The county drafts the agreement (dispatch fills in the parties' confirmed seals from
        registry's events, hence the retries): its id, the joint account's to be."""
        draft = ("agreement", "draft", "--reference", "个旧人社劳务〔2026〕7号", "--county-org",
                 self.orgs["county"], "--hr-org", self.orgs["hr"], "--principal", PRINCIPAL,
                 "--start", "2026-01-01", "--end", "2028-12-31", "--bank-name",
                 "中国工商银行个旧支行", "--bank-account", "2505030109024567891",
                 "--per-placement", "300.00", "--qualifying-days", "90", "--per-month", "50.00",
                 "--max-months", "12", "--revenue-shares", "20/30/50", "--policy-split", "60/40",
                 "--policy-shares", "30/30/40", "--employer-split", "60/40",
                 "--employer-shares", "30/30/40")  # fmt: skip
        drafted = retried(lambda: self.run(*draft))
        assert drafted.returncode == 0, drafted.stderr
        self.account = value(drafted.stdout, "agreement_id")
        return self.account

    def seal_agreement(self) -> str:
        """Each organisation seals version 1 with its own seal; the fund opens the joint account
        from dispatch's agreement_sealed: the account's `sanbao fund show`."""
        self.ok("agreement", "seal", self.account, "--version", "1", "--org",
                self.orgs["county"], "--seal", self.seal_file("county"))  # fmt: skip
        self.ok("agreement", "seal", self.account, "--version", "1", "--org", self.orgs["hr"],
                "--seal", self.seal_file("hr"), home=self.home("zhou.sign"))  # fmt: skip
        opened = retried(lambda: self.run("fund", "show", self.account))
        assert opened.returncode == 0, opened.stderr
        assert value(opened.stdout, "status") == "open"
        return opened.stdout

    def deposit_principal(self) -> None:
        self.ok("fund", "inflow", self.account, "--kind", "principal_deposit", "--amount",
                PRINCIPAL, "--bank-ref", "ICBC-20260105-001",
                home=self.home("li.fin"))  # fmt: skip

    def set_up(self) -> Parties:
        """Every step: a sealed agreement and its open joint account holding the principal."""
        self.register_organisations()
        self.submit_seals()
        self.confirm_seals()
        self.certify_signatories()
        self.draft_agreement()
        self.seal_agreement()
        self.deposit_principal()
        return self

    # -- what both tests do later ------------------------------------------------------------------

    def sign(self, proposal: str, username: str, within: float = 30):
        """`username` signs the proposal with their key (the fund learns of signatories from
        registry's events: retried until it has)."""
        return retried(lambda: self.run("fund", "sign", proposal, "--key",
                                        self.key_file(username), home=self.home(username)),
                       within)  # fmt: skip
