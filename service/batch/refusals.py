"""Refusals of 一键派单, worded as page text (Chinese source, said in the reader's language)."""

from __future__ import annotations

from service.page_text import N_
from service.queue.service import QueueRefusal


class BatchRefusal(QueueRefusal):
    """A refusal of the batch pages and command: a page-text id and its values (as the
    queue's); ``field`` names the form field it is about."""


AREA_OUT_OF_SCOPE = N_("这个区域不在您负责的范围内，或者不存在。")
PERIOD_BACKWARDS = N_("结束日期不能早于开始日期。")
PERIOD_TOO_LONG = N_("一次最多安排 %(days)s 天，请缩短时间段。")
PERIOD_PAST = N_("这个时间段已经过去了，请选择今天或以后的日期。")
PLAN_NOT_FOUND = N_("没有找到这个派单方案。")
