"""志愿服务记录证明: certificates of a volunteer's service hours for a period, as PDF, with a
public verification page reached by the QR code printed on them."""
