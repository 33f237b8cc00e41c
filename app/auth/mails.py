"""The mails about an account: what they say and where their links lead (`APP_URL`)."""

from urllib.parse import urlencode

from app.config import Settings
from app.jobs.mail import Mail, new_mail


def _link(settings: Settings, page: str, token: str) -> str:
    return f"{settings.app_url.rstrip('/')}/{page}?{urlencode({'token': token})}"


def verification(settings: Settings, to: str, name: str, token: str) -> Mail:
    link = _link(settings, "verify-email", token)
    text = (
        f"Hello {name},\n\nplease confirm that this is your address by opening this link"
        f" (valid for 24 hours):\n\n{link}\n\nUntil then you can sign in and write drafts, but"
        " not publish or comment.\n\nIf you did not sign up for Inkwell, ignore this mail.\n"
    )
    return new_mail(to, "Confirm your email for Inkwell", text)


def password_reset(settings: Settings, to: str, token: str) -> Mail:
    link = _link(settings, "reset-password", token)
    text = (
        "Someone (hopefully you) asked to reset the password of your Inkwell account.\n\n"
        f"Choose a new password with this link (valid for 30 minutes, usable once):\n\n{link}\n\n"
        "Setting it signs you out everywhere. If you did not ask, ignore this mail: your"
        " password stays as it is.\n"
    )
    return new_mail(to, "Reset your Inkwell password", text)


def registration_attempt(settings: Settings, to: str) -> Mail:
    link = f"{settings.app_url.rstrip('/')}/forgot-password"
    text = (
        "Someone tried to create an Inkwell account with this address, which already has"
        " one.\n\nIf it was you, sign in instead; if you forgot your password, reset it"
        f" here:\n\n{link}\n\nIf it was not you, ignore this mail: nothing changed.\n"
    )
    return new_mail(to, "You already have an Inkwell account", text)
