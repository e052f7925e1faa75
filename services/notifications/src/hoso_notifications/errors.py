"""Problem codes of the notifications service, each with a Vietnamese message."""

from hoso_common.errors import NotFound


class NotificationNotFound(NotFound):
    code = "notification_not_found"
    detail = "Không tìm thấy thông báo."
