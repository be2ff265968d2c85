"""The phone builder's form: every field of the seed's Config table plus origins and dial policy,
read from a posted form into the store's fields, and drawn with each error next to its field.

The saved password is never put into the page: the edit form shows an empty password box
("unchanged"), and an empty box keeps what is saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ...store import Component, ValidationError
from ...store.component_fields import MAX_WIDTH, MIN_WIDTH, validate_fields, validate_id
from .forms import checkbox, field, textarea
from .layout import Markup, join

__all__ = [
    "SWITCHES",
    "ComponentForm",
    "error_text",
    "form_from_component",
    "parse_form",
    "render_fields",
]

#: The eight Show switches of the Config table, in its order: (field, label).
SWITCHES = (
    ("show_dialpad", "Dialpad"),
    ("show_dialled_number", "Dialled number"),
    ("show_answer", "Answer"),
    ("show_hangup", "Hang up"),
    ("show_hold", "Hold"),
    ("show_mute", "Mute"),
    ("show_dial", "Dial"),
    ("show_status", "Status"),
)
_BOOLS = (*(name for name, _ in SWITCHES), "auto_register", "hidden")
_TEXTS = ("sip_servers", "realm", "display_name", "cli", "username")
_LISTS = ("allowed_origins", "allowed_destinations")
_LIMITS = ("max_concurrent_calls", "calls_per_hour_per_visitor")


@dataclass(slots=True)
class ComponentForm:
    """What the form shows: text per field, switches as booleans; never a saved password."""

    values: dict[str, str]
    switches: dict[str, bool]
    has_password: bool = False


def error_text(error: ValidationError) -> str:
    """The store's reason, without the `field=value: ` prefix; the bad item of a list too."""
    why = str(error)[len(f"{error.field}={error.value!r}: ") :]
    if isinstance(error.value, str) and error.value and error.value != "***":
        return f"{why} (not “{error.value}”)"
    return why


def form_from_component(component: Component | None) -> ComponentForm:
    """The form for `component`, or for a new phone (the store's defaults)."""
    if component is None:
        defaults = {name: True for name, _ in SWITCHES} | {"auto_register": False, "hidden": False}
        return ComponentForm({"width": "300"}, defaults)
    values = {name: getattr(component, name) or "" for name in _TEXTS}
    values["sip_servers"] = ", ".join(s for s in component.sip_servers.split(",") if s)
    values |= {name: getattr(component, name) for name in _LISTS}
    values |= {name: str(getattr(component, name) or "") for name in _LIMITS}
    values |= {"id": component.id, "width": str(component.width)}
    switches = {name: bool(getattr(component, name)) for name in _BOOLS}
    return ComponentForm(values, switches, has_password=bool(component.password))


def _number(name: str, text: str, errors: dict[str, str], low: int, high: int) -> int | None:
    try:
        return int(text)
    except ValueError:
        errors[name] = f"expected a whole number from {low} to {high}"
        return None


def parse_form(
    form: Mapping[str, str], *, with_id: bool
) -> tuple[str, dict[str, object], ComponentForm, dict[str, str]]:
    """(id, the store's fields, the form to show again, errors by field name).

    Each field is checked on its own, so that every bad field gets its message at once. The
    password is in the fields only when one was typed."""
    errors: dict[str, str] = {}
    fields: dict[str, object] = {}
    component_id = form.get("id", "").strip().lower()
    if with_id:
        try:
            validate_id(component_id)
        except ValidationError as e:
            errors["id"] = error_text(e)
    width = _number("width", form.get("width", "").strip(), errors, MIN_WIDTH, MAX_WIDTH)
    if width is not None:
        fields["width"] = width
    for name in _BOOLS:
        fields[name] = name in form
    for name in (*_TEXTS, *_LISTS):
        fields[name] = form.get(name, "").strip()
    for name in _LIMITS:
        text = form.get(name, "").strip()
        fields[name] = None if not text else _number(name, text, errors, 1, 100_000)
    if form.get("password"):
        fields["password"] = form["password"]
    checked: dict[str, object] = {}
    for name, value in fields.items():
        if name in errors:
            continue
        try:
            checked |= validate_fields({name: value})
        except ValidationError as e:
            errors[e.field] = error_text(e)
    shown = {
        name: form.get(name, "").strip() for name in ("id", "width", *_TEXTS, *_LISTS, *_LIMITS)
    }
    again = ComponentForm(shown, {name: name in form for name in _BOOLS})
    return component_id, checked, again, errors


def _section(title: str, intro: str, body: Markup) -> Markup:
    return Markup(
        '<fieldset class="section"><legend>{}</legend><p class="section-intro">{}</p>{}</fieldset>'
    ).format(title, intro, body)


def render_fields(
    form: ComponentForm,
    errors: Mapping[str, str],
    *,
    id_editable: bool,
    password_note: str,
    can_forget: bool = False,
) -> Markup:
    """The form's sections; `password_note` is the password box's placeholder, and
    `can_forget` offers to remove a saved password."""
    v, e = form.values, errors
    id_extra = Markup(' required pattern="[a-z0-9-]+" autocomplete="off"')
    if not id_editable:
        id_extra = Markup(" readonly")
    look = join(
        [
            field(
                "id",
                "ID",
                v.get("id", ""),
                error=e.get("id"),
                extra=id_extra,
                hint="Lower-case letters, digits and hyphens. It names the phone in the "
                "embed code and in the page address /p/ID.",
            ),
            field(
                "width",
                "Width (pixels)",
                v.get("width", ""),
                kind="number",
                error=e.get("width"),
                hint=f"From {MIN_WIDTH} to {MAX_WIDTH}.",
                extra=Markup(f' min="{MIN_WIDTH}" max="{MAX_WIDTH}" step="1"'),
            ),
        ]
    )
    switches = join(
        checkbox(name, label, form.switches.get(name, True), error=e.get(name))
        for name, label in SWITCHES
    )
    shown = Markup('<div class="switch-grid">{}</div>').format(switches)
    behaviour = join(
        [
            checkbox(
                "auto_register",
                "Auto register",
                form.switches.get("auto_register", False),
                hint="Register when the page opens, so the phone can take calls.",
            ),
            checkbox(
                "hidden",
                "Hidden (Attribute Action)",
                form.switches.get("hidden", False),
                hint="No visible phone: the page drives it with the JavaScript API.",
            ),
        ]
    )
    account = join(
        [
            field(
                "sip_servers",
                "Default SIP server",
                v.get("sip_servers", ""),
                error=e.get("sip_servers"),
                extra=Markup(' placeholder="wss://sip.example.com/ws"'),
                hint="wss:// addresses, comma-separated, tried in order (failover). "
                "Empty: this server's own SIP server.",
            ),
            field(
                "realm",
                "Default realm",
                v.get("realm", ""),
                error=e.get("realm"),
                hint="The digest realm: a host name, such as sip.example.com.",
            ),
            field(
                "display_name",
                "Default display name",
                v.get("display_name", ""),
                error=e.get("display_name"),
                hint="The name people you call see.",
            ),
            field(
                "cli",
                "Default CLI",
                v.get("cli", ""),
                error=e.get("cli"),
                hint="Calling line identity: the number people you call see.",
            ),
            field(
                "username",
                "Default username",
                v.get("username", ""),
                error=e.get("username"),
                extra=Markup(' autocomplete="off"'),
            ),
            field(
                "password",
                "Default password",
                "",
                kind="password",
                error=e.get("password"),
                extra=Markup(' autocomplete="new-password" placeholder="{}"').format(password_note),
                hint="Kept on the server: it never reaches the browser.",
            ),
            checkbox("forget_password", "Remove the saved password", False)
            if can_forget
            else Markup(""),
        ]
    )
    policy = join(
        [
            textarea(
                "allowed_origins",
                "Allowed origins",
                v.get("allowed_origins", ""),
                error=e.get("allowed_origins"),
                hint="Web sites whose pages may use this phone, one per line, such as "
                "https://shop.example.com. * allows any site.",
            ),
            textarea(
                "allowed_destinations",
                "Allowed destinations",
                v.get("allowed_destinations", ""),
                error=e.get("allowed_destinations"),
                hint="Numbers or users it may call, one per line; * and ? are wildcards "
                "(+4420*). Empty: any destination.",
            ),
            Markup('<div class="field-row">{}{}</div>').format(
                field(
                    "max_concurrent_calls",
                    "Most calls at once",
                    v.get("max_concurrent_calls", ""),
                    kind="number",
                    error=e.get("max_concurrent_calls"),
                    hint="Empty: no limit.",
                    extra=Markup(' min="1" step="1"'),
                ),
                field(
                    "calls_per_hour_per_visitor",
                    "Calls per hour per visitor",
                    v.get("calls_per_hour_per_visitor", ""),
                    kind="number",
                    error=e.get("calls_per_hour_per_visitor"),
                    hint="Empty: no limit.",
                    extra=Markup(' min="1" step="1"'),
                ),
            ),
        ]
    )
    return join(
        [
            _section("Phone", "How the phone is named and how wide it is.", look),
            _section("Controls shown", "Switch off the parts the page does not need.", shown),
            _section("Behaviour", "When it registers, and whether it shows at all.", behaviour),
            _section("SIP account", "What the phone dials with. Visitors never see it.", account),
            _section("Access and dial policy", "Who may use it and where it may call.", policy),
        ]
    )
