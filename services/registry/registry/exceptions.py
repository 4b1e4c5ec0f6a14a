"""Errors registry's callers can act on (declared as expected exceptions of every RPC)."""

from sanbao_common.errors import DomainError, NotFound


class LabourerAlreadyRegistered(DomainError):
    code = "LABOURER_ALREADY_REGISTERED"
    message_en = "a labourer with this ID number is already registered"
    message_zh = "该身份证号已登记"


class ConcurrentRegistration(DomainError):
    code = "CONCURRENT_REGISTRATION"
    message_en = "the same person was being registered at the same moment elsewhere; send again"
    message_zh = "同一人正在别处同时登记，请重新提交"


class LabourerNotFound(NotFound):
    code = "LABOURER_NOT_FOUND"
    message_en = "no labourer with this id"
    message_zh = "未找到该劳动力"


class LabourerMerged(DomainError):
    code = "LABOURER_MERGED"
    message_en = "this record was merged into another; use that one"
    message_zh = "该记录已并入另一条记录，请使用那一条"


class MergeRefused(DomainError):
    code = "MERGE_REFUSED"
    message_en = "these records cannot be merged"
    message_zh = "这两条记录不能合并"


class MeasureRefused(DomainError):
    code = "MEASURE_REFUSED"
    message_en = "the measure cannot be planned or changed so"
    message_zh = "该帮扶举措不能如此安排或修改"


class MeasureNotFound(NotFound):
    code = "MEASURE_NOT_FOUND"
    message_en = "no measure with this id"
    message_zh = "未找到该帮扶举措"


class ImportNotFound(NotFound):
    code = "IMPORT_NOT_FOUND"
    message_en = "no roster import with this id"
    message_zh = "未找到该花名册导入"


class RosterRefused(DomainError):
    """The file as a whole cannot be read: nothing of it is written."""

    code = "ROSTER_REFUSED"
    message_en = "the roster file cannot be read"
    message_zh = "花名册文件无法读取"


class ConflictNotFound(NotFound):
    code = "CONFLICT_NOT_FOUND"
    message_en = "no identity conflict with this id"
    message_zh = "未找到该身份冲突记录"


class ConflictResolved(DomainError):
    code = "CONFLICT_RESOLVED"
    message_en = "this identity conflict was already confirmed or rejected"
    message_zh = "该身份冲突已被确认或驳回"


class ConflictStale(DomainError):
    """A held row whose person changed after it was held: confirming it would undo the change."""

    code = "CONFLICT_STALE"
    message_en = (
        "the person changed since the row was held; list again: confirming the row now would"
        " undo that change (reject it, and have the row imported again if it still holds)"
    )
    message_zh = (
        "该行暂缓后此人的记录已有变动，请重新列出：现在确认会撤销该变动（请驳回此行；"
        "如该行仍然正确，请重新导入）"
    )


class RosterUploadRejected(DomainError):
    """A part of a roster upload, or the upload as a whole, that cannot be taken."""

    code = "ROSTER_UPLOAD_REJECTED"
    message_en = "this part of the roster upload cannot be taken"
    message_zh = "花名册上传的该部分无法接收"


# -- the directory ------------------------------------------------------------------------------


class OrganisationNotFound(NotFound):
    code = "ORGANISATION_NOT_FOUND"
    message_en = "no such organisation"
    message_zh = "未找到该组织"


class OrganisationRejected(DomainError):
    code = "ORGANISATION_REJECTED"
    message_en = "the organisation does not fit the directory"
    message_zh = "该组织不符合目录规则"


class OrganisationExists(DomainError):
    code = "ORGANISATION_EXISTS"
    message_en = "an active organisation already has this code"
    message_zh = "已有使用该代码的有效组织"


class OrganisationInactive(DomainError):
    code = "ORGANISATION_INACTIVE"
    message_en = "the organisation is deactivated"
    message_zh = "该组织已停用"


class ConcurrentBankAccountChange(DomainError):
    code = "CONCURRENT_BANK_ACCOUNT_CHANGE"
    message_en = "the bank account was being changed at the same moment elsewhere; send again"
    message_zh = "该组织的银行账户正在别处同时修改，请重新提交"


class VillageGroupNotFound(NotFound):
    code = "VILLAGE_GROUP_NOT_FOUND"
    message_en = "no such village group"
    message_zh = "未找到该村民小组"


class VillagesRejected(DomainError):
    """A change to the village list that would break it: nothing of it is written."""

    code = "VILLAGES_REJECTED"
    message_en = "the village list cannot be changed so"
    message_zh = "村名单不能如此修改"


class UserNotFound(NotFound):
    code = "USER_NOT_FOUND"
    message_en = "no such user"
    message_zh = "未找到该用户"


class UserRejected(DomainError):
    code = "USER_REJECTED"
    message_en = "the user does not fit the role matrix"
    message_zh = "该用户不符合角色规则"


class UsernameTaken(DomainError):
    code = "USERNAME_TAKEN"
    message_en = "this user name is taken"
    message_zh = "该用户名已被使用"


class SignInFailed(DomainError):
    code = "SIGN_IN_FAILED"
    message_en = "wrong user name, password or one-time code"
    message_zh = "用户名、密码或动态码错误"


class AccountLocked(DomainError):
    code = "ACCOUNT_LOCKED"
    message_en = "too many failed sign-ins; the account is locked for a while"
    message_zh = "登录失败次数过多，账号暂时锁定"


class SignInRateLimited(DomainError):
    """More sign-in attempts for one user name than the window allows (LOGIN_ATTEMPTS_PER_NAME
    per LOGIN_ATTEMPTS_WINDOW_SECONDS), right password or not, known name or not."""

    code = "SIGN_IN_RATE_LIMITED"
    message_en = "too many sign-in attempts for this user name; try again after retry_after"
    message_zh = "该用户名登录尝试过于频繁，请在 retry_after 所示时间之后再试"


class AccountChangedMeanwhile(DomainError):
    code = "ACCOUNT_CHANGED"
    message_en = (
        "the account changed while this ran (a reset, a lock, a deactivation); sign in again"
    )
    message_zh = "操作期间账号已变更（重置、锁定或停用），请重新登录"


class PasswordRejected(DomainError):
    code = "PASSWORD_REJECTED"
    message_en = "a password needs at least 12 characters and must differ from the old one"
    message_zh = "密码至少 12 位，且不能与原密码相同"


class SealRejected(DomainError):
    code = "SEAL_REJECTED"
    message_en = "the seal's signature does not verify"
    message_zh = "印鉴签名验证失败"


class SealExists(DomainError):
    code = "SEAL_EXISTS"
    message_en = "this seal key is already submitted"
    message_zh = "该印鉴密钥已提交"


class SealNotFound(NotFound):
    code = "SEAL_NOT_FOUND"
    message_en = "no such submitted seal"
    message_zh = "未找到该印鉴"


class SigningKeyRejected(DomainError):
    code = "SIGNING_KEY_REJECTED"
    message_en = "the signing key cannot be enrolled"
    message_zh = "签名密钥无法登记"


class SigningKeyNotFound(NotFound):
    code = "SIGNING_KEY_NOT_FOUND"
    message_en = "no such enrolled signing key"
    message_zh = "未找到该签名密钥"
