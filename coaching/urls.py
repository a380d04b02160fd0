"""URL map of the site."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from coaching import first_run, views
from coaching.accounts import views as account_views
from coaching.accounts.passwords import PasswordChangeForm, PasswordResetForm, SignInForm

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("readyz", views.ready, name="ready"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/profile/", views.profile, name="profile"),
    path("welcome/", first_run.profile, name="first_run_profile"),
    path("welcome/charter/", first_run.charter, name="first_run_charter"),
    path("welcome/people/", first_run.people, name="first_run_people"),
    path("welcome/notifications/", first_run.notifications, name="first_run_notifications"),
    path("welcome/done/", first_run.done, name="first_run_done"),
    # Django's account views with our forms (their words: coaching/accounts/passwords.py).
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=SignInForm), name="login"),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(form_class=PasswordChangeForm),
        name="password_change",
    ),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=PasswordResetForm),
        name="password_reset",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        account_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("", include("circles.urls")),
    path("", include("coaching.matching.urls")),
    path("", include("chat.urls")),
    path("", include("coaching.live.session_urls")),
    path("", include("coaching.live.urls")),
    path("", include("coaching.progress.urls")),
    path("", include("coaching.notifications.urls")),
    path("", include("coaching.privacy.urls")),
    path("", include("coaching.library.urls")),
]

# A full database pool answers 503 (retryable) rather than 500 (coaching/lib/busy.py).
handler500 = "coaching.lib.busy.server_error"
