"""Errors the callers of batches can act on (every RPC declares `DomainError`s as expected).
Each names what is wrong in its message or details; none reveals more of a person than the
batch itself shows (an age check names the people outside the limits, never their ages)."""

from __future__ import annotations

from sanbao_common.errors import DomainError, NotFound


class BatchNotFound(NotFound):
    code = "BATCH_NOT_FOUND"
    message_en = "no such batch"
    message_zh = "未找到该输送批次"


class BatchStatusRefused(DomainError):
    code = "BATCH_STATUS_REFUSED"
    message_en = "the batch's status does not allow this"
    message_zh = "该输送批次的当前状态不允许此操作"


class BatchChanged(DomainError):
    code = "BATCH_CHANGED"
    message_en = "the batch changed while this was being done: read it again and retry"
    message_zh = "办理期间该批次已被修改，请重新查看后再试"


class OverHeadCount(DomainError):
    code = "BATCH_OVER_HEAD_COUNT"
    message_en = "more people than the order still wants (its head count less those already "
    "in its other open batches and placements)"
    message_zh = "人数超过该用工需求尚缺的人数（招工人数减去其他在办批次和在岗人员）"


class BatchTooLarge(DomainError):
    code = "BATCH_TOO_LARGE"
    message_en = "a batch holds at most so many invited and confirmed members: form another batch"
    message_zh = "一个批次的受邀和已确认成员人数已达上限，请另组批次"


class NotInPool(DomainError):
    code = "NOT_IN_POOL"
    message_en = "not a labourer of the pool (unknown, or merged into another record)"
    message_zh = "不在劳动力资源池中（未登记，或已合并到其他记录）"


class AlreadyBooked(DomainError):
    code = "ALREADY_BOOKED"
    message_en = "already in another open batch or placement"
    message_zh = "已在其他在办输送批次或在岗安置中"


class HeldUnderMergedRecord(AlreadyBooked):
    message_en = (
        "already in another open batch or placement, under a record registry merged into this "
        "one (held_as names it)"
    )
    message_zh = "已以合并前的另一登记记录（见 held_as）在其他在办输送批次或在岗安置中"


class AlreadyInBatch(DomainError):
    code = "ALREADY_IN_BATCH"
    message_en = "already a member of this batch"
    message_zh = "已是该批次成员"


class NotInvited(DomainError):
    code = "NOT_INVITED"
    message_en = "not invited to this batch, or answered already"
    message_zh = "未受邀加入该批次，或已答复"


class NotInBatch(DomainError):
    code = "NOT_IN_BATCH"
    message_en = "not holding a seat of this batch"
    message_zh = "不是该批次的在座成员"


class NoneConfirmed(DomainError):
    code = "BATCH_NONE_CONFIRMED"
    message_en = "nobody has confirmed: a batch is approved with at least one confirmed member"
    message_zh = "尚无人确认，批次至少须有一名已确认成员方可审批"


class SelfApproval(DomainError):
    code = "BATCH_SELF_APPROVAL"
    message_en = "the person who formed a batch cannot approve it"
    message_zh = "组建批次的人不能审批该批次"


class AgeOutsideLimits(DomainError):
    code = "AGE_OUTSIDE_LIMITS"
    message_en = "some people's ages are outside the order's limits (registry's check)"
    message_zh = "部分人员年龄不符合该用工需求的要求（户籍登记核验）"


class AgeUnknown(DomainError):
    code = "AGE_UNKNOWN"
    message_en = "registry does not know some people (merged or removed): their age is unchecked"
    message_zh = "户籍登记中查无部分人员（已合并或删除），无法核验年龄"


class DateRefused(DomainError):
    code = "BATCH_DATE_REFUSED"
    message_en = "the date is not possible"
    message_zh = "日期不合理"


class AdvanceNotPaid(DomainError):
    code = "ADVANCE_NOT_PAID"
    message_en = "the batch's advance is not paid yet: no departure before it is"
    message_zh = "该批次的垫支款尚未支付，支付前不能出发"


class AdvanceNotRepeatable(DomainError):
    code = "ADVANCE_NOT_REPEATABLE"
    message_en = "the advance is not to be asked for again now (asked, pending or paid)"
    message_zh = "该垫支申请正在办理或已支付，现在不能再次申请"


class AdvancePaid(DomainError):
    code = "ADVANCE_PAID"
    message_en = "the advance is paid: record the departure (no-shows become claims) instead"
    message_zh = "垫支款已支付，不能取消；请登记出发（未到人员转为追偿）"


class AdvancePending(DomainError):
    code = "ADVANCE_PENDING"
    message_en = (
        "the advance awaits the fund's signatures and may still be paid: cancel once it is"
        " rejected or refused, or has expired unsigned"
    )
    message_zh = "垫支款正在等待资金签批，仍可能支付；待其被驳回、被拒绝或过期未签后再取消"
