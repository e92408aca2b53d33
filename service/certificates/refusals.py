"""Refusals of the certificate pages, worded as page text (Chinese source, said in the reader's
language when shown)."""

from __future__ import annotations

from service.errors import AppError
from service.page_text import N_


class CertificateRefusal(AppError):
    """A page-text id and its values; ``field`` names the form field it is about."""

    def __init__(
        self, message: str, *, status_code: int = 422, field: str | None = None, **params
    ) -> None:
        super().__init__(message % params if params else message, code="certificate_refusal")
        self.status_code = status_code
        self.message, self.params, self.field = message, params, field


PERIOD_UNKNOWN = N_("请选择时间段：今年、去年或自定义。")
DATE_MALFORMED = N_("请按 年-月-日 填写日期，例如 2026-03-01。")
PERIOD_BACKWARDS = N_("结束日期不能早于开始日期。")
PERIOD_FUTURE = N_("结束日期不能晚于今天（%(today)s）。")
PERIOD_TOO_EARLY = N_("开始日期不能早于 %(earliest)s。")
PERIOD_TOO_LONG = N_("一份证明最多覆盖 %(years)s 年，请缩短时间段。")
NO_SERVICE = N_("这段时间没有经社区确认的服务时长，无法出具证明。")
NOT_A_VOLUNTEER = N_("只有志愿者本人可以在这里下载自己的证明。")
VOLUNTEER_OUT_OF_SCOPE = N_("这位志愿者不在您负责的区域内，或者不存在。")
CERTIFICATE_NOT_FOUND = N_("没有找到这份证明。")
TOO_MANY = N_(
    "一次最多导出 %(limit)s 份证明，这段时间有 %(count)s 位志愿者。请缩短时间段或按街道分批导出。"
)
NOBODY_SERVED = N_("这段时间您负责区域内没有志愿者有经确认的服务时长。")
NOTHING_ISSUED = N_("这段时间还没有为您负责区域的志愿者出具过证明，请先点「导出全部」。")
ALREADY_REVOKED = N_("这份证明已经作废了。")
FONT_MISSING = N_(
    "服务器缺少证明所需的中文字体，暂时无法生成证明。请联系管理员安装 fonts-wqy-microhei。"
)
