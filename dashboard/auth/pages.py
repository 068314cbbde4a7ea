"""The login, logout and change-password pages (plain HTML forms, FR/EN, no JavaScript needed).

``GET /login`` shows the form; ``POST /login`` checks the password through the
:class:`dashboard.auth.gate.Gate` (rate-limited, audited) and sets the signed session cookie,
then goes back to the page asked for (``next``, a local path only). A one-time password sends
the user to ``/account/password`` first. ``POST /logout`` ends the session.
"""

from __future__ import annotations

import html
from typing import Annotated
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from access import LoginRefused
from dashboard.api.auth import AccountDep, PublicDep, gate_of
from dashboard.api.routers.session import set_cookie
from dashboard.auth.sessions import COOKIE
from dashboard.i18n import LANGS, t

router = APIRouter(tags=["pages"])
Lang = Annotated[str, Query(pattern="^(fr|en)$")]


def safe_next(target: str | None) -> str:
    """A local path to go back to; anything else (another site, a scheme) becomes ``/``.

    >>> safe_next("/alarms?lang=en"), safe_next("//evil.example/x"), safe_next("https://evil.example")
    ('/alarms?lang=en', '/', '/')
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _page(title: str, body: str, lang: str, next_: str = "/") -> HTMLResponse:
    # The language switch keeps where the user was going.
    langs = " ".join(
        f'<a class="lang" href="?lang={code}&amp;next={html.escape(quote(next_))}">{code.upper()}</a>' for code in LANGS
    )
    return HTMLResponse(
        f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gmp-twin — {html.escape(title)}</title><link rel="stylesheet" href="/assets/style.css"></head>
<body><div class="page login-page"><div class="header"><h1>{html.escape(title)}</h1>
<div class="langs">{langs}</div></div>{body}</div></body></html>""",
        headers={"Cache-Control": "no-store"},
    )


def _field(name: str, label: str, kind: str = "password", value: str = "", auto: str = "") -> str:
    return (
        f'<label for="{name}">{html.escape(label)}</label>'
        f'<input id="{name}" name="{name}" type="{kind}" value="{html.escape(value)}" autocomplete="{auto}" required>'
    )


def login_form(lang: str, next_: str, error: str = "", username: str = "") -> HTMLResponse:
    notice = f'<p class="notice error" id="login-error">{html.escape(error)}</p>' if error else ""
    body = f"""{notice}<form method="post" action="/login" class="login-form" id="login-form">
<input type="hidden" name="next" value="{html.escape(next_)}"><input type="hidden" name="lang" value="{lang}">
{_field("username", t("username", lang), "text", username, "username")}
{_field("password", t("password", lang), auto="current-password")}
<button type="submit" id="login-submit">{t("login_button", lang)}</button></form>"""
    return _page(t("login_title", lang), body, lang, next_)


def _lang(value: str | None) -> str:
    return value if value in LANGS else "fr"


async def _form(request: Request) -> dict[str, str]:
    # A small urlencoded form: parsed here rather than adding python-multipart for four fields.
    raw = (await request.body())[:8192].decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}


@router.get("/login", response_class=HTMLResponse)
async def login_page(
    _who: PublicDep, lang: Lang = "fr", next: Annotated[str, Query(max_length=500)] = "/"
) -> HTMLResponse:
    """The login form."""
    return login_form(lang, safe_next(next))


@router.post("/login", response_model=None, responses={401: {"description": "refused"}})
async def login_submit(request: Request, _who: PublicDep) -> Response:
    """Check the user name and password; on success set the session cookie and go to ``next``."""
    form = await _form(request)
    lang = _lang(form.get("lang"))
    target = safe_next(form.get("next"))
    gate = gate_of(request)
    if gate is None:
        return login_form(lang, target, t("login_off", lang))
    host = request.client.host if request.client else ""
    port = request.client.port if request.client else None
    try:
        principal, cookie = gate.login(form.get("username", ""), form.get("password", ""), host, port)
    except LoginRefused as exc:
        key = "login_locked" if exc.retry_after_s > 0 else "login_refused"
        page = login_form(lang, target, t(key, lang), form.get("username", ""))
        page.status_code = 429 if key == "login_locked" else 401
        return page
    if principal.must_change_password:
        target = f"/account/password?lang={lang}&next={quote(target)}"
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, cookie, int(gate.sessions.max_age_s))
    return response


@router.post("/logout", response_model=None)
async def logout(request: Request, _who: PublicDep) -> Response:
    """End the session and go to the login page."""
    gate = gate_of(request)
    if gate is not None:
        gate.logout(request.cookies.get(COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def password_form(lang: str, next_: str, first: bool, message: str = "", error: bool = True) -> HTMLResponse:
    intro = f'<p class="notice">{t("password_first", lang)}</p>' if first else ""
    css = "notice error" if error else "notice"
    notice = f'<p class="{css}" id="password-message">{html.escape(message)}</p>' if message else ""
    body = f"""{intro}{notice}<form method="post" action="/account/password" class="login-form" id="password-form">
<input type="hidden" name="next" value="{html.escape(next_)}"><input type="hidden" name="lang" value="{lang}">
{_field("old_password", t("old_password", lang), auto="current-password")}
{_field("new_password", t("new_password", lang), auto="new-password")}
{_field("new_password2", t("new_password_again", lang), auto="new-password")}
<button type="submit" id="password-submit">{t("change_button", lang)}</button></form>"""
    return _page(t("password_title", lang), body, lang, next_)


@router.get("/account/password", response_class=HTMLResponse)
async def password_page(
    who: AccountDep, lang: Lang = "fr", next: Annotated[str, Query(max_length=500)] = "/"
) -> HTMLResponse:
    """The change-password form (required after a one-time password)."""
    return password_form(lang, safe_next(next), who.must_change_password)


@router.post("/account/password", response_model=None)
async def password_submit(request: Request, who: AccountDep) -> Response:
    """Change the password; every other session of the user ends."""
    form = await _form(request)
    lang = _lang(form.get("lang"))
    target = safe_next(form.get("next"))
    gate = gate_of(request)
    if gate is None:
        return password_form(lang, target, who.must_change_password, t("login_off", lang))
    if form.get("new_password") != form.get("new_password2"):
        return password_form(lang, target, who.must_change_password, t("password_mismatch", lang))
    try:
        cookie = gate.change_password(who, form.get("old_password", ""), form.get("new_password", ""))
    except LoginRefused as exc:
        key = "login_locked" if exc.retry_after_s > 0 else "login_refused"
        return password_form(lang, target, who.must_change_password, t(key, lang))
    except ValueError as exc:  # a weak password: the message says why
        return password_form(lang, target, who.must_change_password, str(exc))
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, cookie, int(gate.sessions.max_age_s))
    return response
