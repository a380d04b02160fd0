"""Django admin for staff; programme admins work from the programme dashboard."""

from django.contrib import admin

from circles.models import Circle, CoachPreference, MatchProposal, Membership, Programme


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    filter_horizontal = ["admins"]


@admin.register(Circle)
class CircleAdmin(admin.ModelAdmin):
    list_display = ["name", "programme", "created_at"]
    list_filter = ["programme"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(MatchProposal)
class MatchProposalAdmin(admin.ModelAdmin):
    list_display = ["id", "programme", "status", "created_by", "created_at", "published_at"]
    list_filter = ["status", "programme"]
    readonly_fields = ["problem", "solution"]


@admin.register(CoachPreference)
class CoachPreferenceAdmin(admin.ModelAdmin):
    list_display = ["member", "coach", "kind"]
    list_filter = ["kind"]
