"""Header fields: looked up by case-insensitive name or compact form, kept as written.

`Headers` is immutable and caches the typed values parsed from it; edits go through
`MutableHeaders` (RFC 3261 §7.3). Both refuse (ValueError) a name that is not a token and a
value holding CR or LF or starting or ending with blanks: such a header could not be written
and read back the same, and a CR LF in a value would smuggle in a header of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from . import _abnf
from .params import split_unquoted

T = TypeVar("T")

# RFC 3261 §7.3.3 and the IANA registry of compact forms.
COMPACT_FORMS = {
    "a": "accept-contact",
    "b": "referred-by",
    "c": "content-type",
    "d": "request-disposition",
    "e": "content-encoding",
    "f": "from",
    "i": "call-id",
    "j": "reject-contact",
    "k": "supported",
    "l": "content-length",
    "m": "contact",
    "n": "identity-info",
    "o": "event",
    "r": "refer-to",
    "s": "subject",
    "t": "to",
    "u": "allow-events",
    "v": "via",
    "x": "session-expires",
    "y": "identity",
}

# Headers whose grammar is `#element`, so several values may share one line (§7.3.1).
# WWW-Authenticate and friends are not here: commas separate their parameters.
LIST_HEADERS = frozenset(
    {
        "via",
        "contact",
        "route",
        "record-route",
        "allow",
        "supported",
        "require",
        "proxy-require",
        "unsupported",
        "accept",
        "accept-encoding",
        "accept-language",
        "allow-events",
        "content-encoding",
        "content-language",
        "in-reply-to",
        "path",
        "service-route",
        "reason",
    }
)


_canonical_cache: dict[str, str] = {}
_MISSING = object()


def canonical(name: str) -> str:
    """The lowercase long form of a header name: `v` and `VIA` are both `via`."""
    try:
        return _canonical_cache[name]
    except KeyError:
        lname = name.lower()
        key = COMPACT_FORMS.get(lname, lname)
        if len(_canonical_cache) < 4096:  # bounded: names come from the network
            _canonical_cache[name] = key
        return key


def split_values(value: str) -> list[str]:
    """Split a `#element` header value on commas outside quotes and angle brackets.

    Empty elements are skipped (`a,,b` and `a, b` are alike; an empty value has none).
    """
    if "," not in value:
        return [value] if value else []
    return [v for v in (v.strip(" \t") for v in split_unquoted(value, ",", brackets=True)) if v]


def check_header(name: str, value: str) -> None:
    """Refuse (ValueError) a header line that would not serialise and parse back the same."""
    if not isinstance(name, str) or _abnf.header_name_re.fullmatch(name) is None:
        raise ValueError(f"header name is not a token: {name!r}")
    if not isinstance(value, str):
        raise ValueError(f"header value is not a string: {value!r}")
    if "\r" in value or "\n" in value:
        raise ValueError(f"header value holds CR or LF: {name}: {value!r}")
    if value[:1] in (" ", "\t") or value[-1:] in (" ", "\t"):
        raise ValueError(f"header value starts or ends with blanks: {name}: {value!r}")


class Headers:
    """An immutable, ordered list of (name, value) pairs with case-insensitive lookup."""

    __slots__ = ("_cache", "_index", "_items")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        checked = tuple(items)
        for name, value in checked:
            check_header(name, value)
        self._init(checked)

    @classmethod
    def _trusted(cls, items: Iterable[tuple[str, str]]) -> Headers:
        """Headers from items already checked (by the parser or `MutableHeaders`)."""
        self = cls.__new__(cls)
        self._init(tuple(items))
        return self

    def _init(self, items: tuple[tuple[str, str], ...]) -> None:
        self._items = items
        index: dict[str, list[str]] = {}
        cached = _canonical_cache.get
        for name, value in items:
            key = cached(name) or canonical(name)
            if key in index:
                index[key].append(value)
            else:
                index[key] = [value]
        self._index = index
        self._cache: dict[str, Any] = {}

    def get(self, name: str, default: str | None = None) -> str | None:
        """The value of the first header called `name`."""
        values = self._index.get(canonical(name))
        return values[0] if values else default

    def get_all(self, name: str) -> list[str]:
        """The value of every header line called `name`, in order (not split on commas)."""
        return list(self._index.get(canonical(name), ()))

    def values(self, name: str) -> list[str]:
        """Every element of a list header, across lines and commas: `Via: a, b` -> [a, b]."""
        key = canonical(name)
        out: list[str] = []
        for value in self._index.get(key, ()):
            out.extend(split_values(value) if key in LIST_HEADERS else [value])
        return out

    def parsed(self, name: str, parse: Callable[[Headers], T]) -> T:
        """Parse once, then answer from the cache (the headers never change)."""
        value = self._cache.get(name, _MISSING)
        if value is _MISSING:
            value = self._cache[name] = parse(self)
        return value  # type: ignore[no-any-return]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and canonical(name) in self._index

    def missing(self, names: Iterable[str]) -> str | None:
        """The first of `names` (lowercase long forms) that no header line has, if any."""
        index = self._index
        for name in names:
            if name not in index:
                return name
        return None

    def repeated(self, names: Iterable[str]) -> str | None:
        """The first of `names` (lowercase long forms) that more than one line has, if any."""
        index = self._index
        for name in names:
            values = index.get(name)
            if values is not None and len(values) > 1:
                return name
        return None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and self._items == other._items

    def __hash__(self) -> int:
        return hash(self._items)

    def __repr__(self) -> str:
        return f"Headers({list(self._items)!r})"

    def mutable(self) -> MutableHeaders:
        out = MutableHeaders()
        out._items = list(self._items)
        return out


class MutableHeaders:
    """An editable copy of `Headers`; `freeze()` gives the immutable value back."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items = list(items)
        for name, value in self._items:
            check_header(name, value)

    def get(self, name: str, default: str | None = None) -> str | None:
        key = canonical(name)
        return next((v for n, v in self._items if canonical(n) == key), default)

    def get_all(self, name: str) -> list[str]:
        """The value of every line called `name`, in order (not split on commas)."""
        key = canonical(name)
        return [v for n, v in self._items if canonical(n) == key]

    def add(self, name: str, value: str) -> None:
        """Append a header line after every other."""
        check_header(name, value)
        self._items.append((name, value))

    def prepend(self, name: str, value: str) -> None:
        """Insert a header line above the first of the same name (Via, Record-Route), else first."""
        check_header(name, value)
        key = canonical(name)
        for i, (n, _) in enumerate(self._items):
            if canonical(n) == key:
                self._items.insert(i, (name, value))
                return
        self._items.insert(0, (name, value))

    def set(self, name: str, value: str) -> None:
        """Replace the first line called `name` where it stands and drop the rest, or append."""
        check_header(name, value)
        key = canonical(name)
        out: list[tuple[str, str]] = []
        done = False
        for n, v in self._items:
            if canonical(n) != key:
                out.append((n, v))
            elif not done:
                out.append((n, value))
                done = True
        if not done:
            out.append((name, value))
        self._items = out

    def remove(self, name: str) -> None:
        key = canonical(name)
        self._items = [(n, v) for n, v in self._items if canonical(n) != key]

    def pop_first(self, name: str) -> str | None:
        """Remove the first element of a list header (the top Via, the first Route).

        A line left with no element is removed; None when there is no element at all.
        """
        key = canonical(name)
        i = 0
        while i < len(self._items):
            n, v = self._items[i]
            if canonical(n) != key:
                i += 1
                continue
            values = split_values(v) if key in LIST_HEADERS else [v]
            if not values:  # an empty list element (`Route: ,`): drop the line, look further
                del self._items[i]
                continue
            if len(values) > 1:
                self._items[i] = (n, ", ".join(values[1:]))
            else:
                del self._items[i]
            return values[0]
        return None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"MutableHeaders({self._items!r})"

    def freeze(self) -> Headers:
        return Headers._trusted(self._items)
