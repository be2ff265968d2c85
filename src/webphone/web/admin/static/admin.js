// The admin's few behaviours: confirm before deleting, copy buttons, the phone builder's live
// preview, and the live view's polling. Plain JavaScript, loaded as a module (CSP: 'self').

// Forms that destroy something ask first (data-confirm holds the question).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// A button with data-copy="#id" copies that element's text (a link's address).
document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element && event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  const text = source instanceof HTMLAnchorElement ? source.href : source.textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard API (plain http on another host): select it for Ctrl-C instead.
    const range = document.createRange();
    range.selectNodeContents(source);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
  }
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  button.textContent = "Copied";
  setTimeout(() => (button.textContent = label), 1500);
});

// The phone builder: the preview <web-phone> follows the form before it is saved.
const form = document.getElementById("component-form");
const preview = document.getElementById("preview");
if (form && preview) {
  const snippet = document.getElementById("snippet");
  const hiddenNote = document.querySelector(".preview-hidden");
  const sync = () => {
    const width = Number.parseInt(form.elements.width.value, 10);
    if (width >= 200 && width <= 1200) preview.setAttribute("width", String(width));
    for (const box of form.querySelectorAll('input[type=checkbox][name^="show_"]')) {
      preview.setAttribute(box.name.replaceAll("_", "-"), box.checked ? "true" : "false");
    }
    const hidden = form.elements.hidden.checked;
    preview.toggleAttribute("hidden", hidden);
    if (hiddenNote) hiddenNote.hidden = !hidden;
    if (snippet) {
      const id = form.elements.id.value.trim().toLowerCase() || "ID";
      snippet.textContent =
        `<script type="module" src="${snippet.dataset.origin}/webphone.js"></script>\n` +
        `<web-phone component="${id}"></web-phone>`;
    }
  };
  form.addEventListener("input", sync);
  form.addEventListener("change", sync);
}

// The live view: redraw the tables from /admin/live.json every 2 seconds.
const live = document.getElementById("live");
if (live) {
  const duration = (seconds) => {
    const total = Math.round(seconds);
    if (total < 60) return `${total} s`;
    const minutes = Math.floor(total / 60);
    if (minutes < 60) return `${minutes} min ${String(total % 60).padStart(2, "0")} s`;
    return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
  };
  const el = (tag, className, ...children) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  };
  const badge = (text, kind) => el("span", `badge badge-${kind}`, text);
  const row = (...cells) => el("tr", "", ...cells.map((c) => el("td", "", c)));
  const fill = (id, rows, empty, span) => {
    const body = document.getElementById(id);
    if (!body) return;
    if (rows.length === 0) {
      const cell = el("td", "", empty);
      cell.colSpan = span;
      rows = [el("tr", "empty-row", cell)];
    }
    body.replaceChildren(...rows);
  };
  const callCell = (call) => {
    if (!call) return el("span", "muted", "idle");
    const extra = [call.held && "on hold", call.muted && "muted"].filter(Boolean);
    const note = duration(call.seconds) + (extra.length ? `, ${extra.join(", ")}` : "");
    const kind = call.state === "in call" ? "ok" : "info";
    const who = ` ${call.remote_name || call.remote} `;
    return el("span", "", badge(call.state, kind), who, el("span", "muted", note));
  };
  const draw = (data) => {
    document.getElementById("live-counts").textContent = data.summary;
    const sessions = data.sessions.map((s) =>
      row(
        el("span", "mono", s.session),
        badge(s.page, s.page === "connected" ? "ok" : "warn"),
        s.component || el("span", "muted", "page settings"),
        s.origin || "—",
        s.user || "—",
        s.registered ? badge("registered", "ok") : badge("not registered", "neutral"),
        callCell(s.call),
      ),
    );
    fill("live-sessions", sessions, "No browser has a phone open.", 7);
    const bindings = data.registrations.map((r) =>
      row(el("strong", "", r.user), el("span", "mono", r.contact), r.transport, r.source,
          duration(r.expires_in)),
    );
    fill("live-registrations", bindings, "Nobody is registered.", 5);
  };
  const poll = async () => {
    try {
      const response = await fetch(live.dataset.src, { cache: "no-store" });
      if (response.status === 401) return location.reload(); // signed out meanwhile
      if (response.ok) draw(await response.json());
      live.classList.toggle("stale", !response.ok);
    } catch {
      live.classList.add("stale");
    }
  };
  setInterval(poll, 2000);
}
