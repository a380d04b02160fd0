"""Django admin for accounts, with the profile fields."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from coaching.accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (
            "Profile",
            {"fields": ("display_name", "timezone", "languages", "ui_language", "is_programme_admin")},
        ),
    )
    list_display = ["username", "display_name", "email", "timezone", "is_programme_admin", "is_staff"]
    search_fields = ["username", "display_name", "email"]
