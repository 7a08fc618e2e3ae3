from django.contrib import admin

from books.models import ApiToken, Book


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    list_display = ["title", "author", "published_at", "isbn", "created_at"]
    list_display_links = ["title"]
    search_fields = ["title", "author", "isbn", "description"]
    list_filter = ["published_at", "created_at"]
    date_hierarchy = "published_at"
    ordering = ["-created_at", "-id"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "author", "published_at", "isbn", "description"]}),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    list_per_page = 50
    show_full_result_count = False  # a COUNT(*) per page view hurts on a big catalogue


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued with `manage.py create_api_token`; here they are listed and revoked."""

    list_display = ["name", "user", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username"]
    readonly_fields = ["user", "name", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        return False
