"""HTML forms: reading a posted form, and the labelled inputs with their error next to them.

Forms are posted URL-encoded (the browser's default); the body is read with a size cap and
parsed here, which needs no multipart library.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from .layout import EMPTY, Markup, join

__all__ = ["FormError", "checkbox", "field", "read_form", "select", "textarea"]

#: Larger bodies are refused: no admin form comes near it.
MAX_FORM_BYTES = 64 * 1024
MAX_FIELDS = 100


class FormError(Exception):
    """A body that is not a form we accept; `status` is the HTTP answer (413 or 415)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def read_form(request: Request) -> dict[str, str]:
    """The posted fields (the last value of a repeated name wins); FormError when the body
    is too large or not URL-encoded."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise FormError(415, "expected a form (application/x-www-form-urlencoded)")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormError(413, "the form is too large")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise FormError(415, "the form is not valid UTF-8 URL-encoded text") from None
    return dict(pairs)


def _error(name: str, error: str | None) -> Markup:
    if not error:
        return Markup("")
    return Markup('<p class="field-error" id="{}-error">{}</p>').format(name, error)


def _described(name: str, hint: str, error: str | None) -> Markup:
    ids = [f"{name}-hint"] if hint else []
    if error:
        ids.append(f"{name}-error")
    if not ids:
        return Markup("")
    invalid = Markup(' aria-invalid="true"') if error else Markup("")
    return Markup(' aria-describedby="{}"{}').format(" ".join(ids), invalid)


def _hint(name: str, hint: str) -> Markup:
    return Markup('<p class="hint" id="{}-hint">{}</p>').format(name, hint) if hint else Markup("")


def field(
    name: str,
    label: str,
    value: object = "",
    *,
    kind: str = "text",
    hint: str = "",
    error: str | None = None,
    extra: Markup = EMPTY,
) -> Markup:
    """A labelled `<input>`; its error, if any, right under it."""
    shown = "" if value is None else str(value)
    return Markup(
        '<div class="field{cls}"><label for="{name}">{label}</label>'
        '<input id="{name}" name="{name}" type="{kind}" value="{value}"{described}{extra}>'
        "{error}{hint}</div>"
    ).format(
        cls=" has-error" if error else "",
        name=name,
        label=label,
        kind=kind,
        value=shown,
        described=_described(name, hint, error),
        extra=extra,
        error=_error(name, error),
        hint=_hint(name, hint),
    )


def textarea(
    name: str, label: str, value: str, *, hint: str = "", error: str | None = None, rows: int = 3
) -> Markup:
    return Markup(
        '<div class="field{cls}"><label for="{name}">{label}</label>'
        '<textarea id="{name}" name="{name}" rows="{rows}"{described}>{value}</textarea>'
        "{error}{hint}</div>"
    ).format(
        cls=" has-error" if error else "",
        name=name,
        label=label,
        rows=rows,
        value=value,
        described=_described(name, hint, error),
        error=_error(name, error),
        hint=_hint(name, hint),
    )


def checkbox(
    name: str, label: str, checked: bool, *, hint: str = "", error: str | None = None
) -> Markup:
    """A switch: a real checkbox, styled as a toggle; unchecked boxes are not posted."""
    return Markup(
        '<div class="switch{cls}"><input id="{name}" name="{name}" type="checkbox" value="on"'
        '{checked}{described}><label for="{name}">{label}</label>{error}{hint}</div>'
    ).format(
        cls=" has-error" if error else "",
        name=name,
        label=label,
        checked=Markup(" checked") if checked else "",
        described=_described(name, hint, error),
        error=_error(name, error),
        hint=_hint(name, hint),
    )


def select(
    name: str,
    label: str,
    options: list[tuple[str, str]],
    value: str,
    *,
    error: str | None = None,
) -> Markup:
    """A labelled `<select>` of (value, text) options."""
    items = join(
        Markup('<option value="{}"{}>{}</option>').format(
            v, Markup(" selected") if v == value else "", text
        )
        for v, text in options
    )
    return Markup(
        '<div class="field{cls}"><label for="{name}">{label}</label>'
        '<select id="{name}" name="{name}"{described}>{items}</select>{error}</div>'
    ).format(
        cls=" has-error" if error else "",
        name=name,
        label=label,
        items=items,
        described=_described(name, "", error),
        error=_error(name, error),
    )
