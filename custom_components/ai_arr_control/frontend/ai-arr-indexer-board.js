/*
 * AI Arr Control: the indexer board, a Lovelace card.
 *
 * Every indexer of every configured Arr instance in one view: one row per
 * indexer (a Prowlarr indexer with its copies in the apps, or an app's own
 * indexer), one column per instance. The integration serves this file and adds
 * it to the dashboards' resources; it needs nothing else: a plain web component
 * (no build step, no imports), live through the websocket subscription
 * `ai_arr_control/subscribe_board`.
 *
 *   type: custom:ai-arr-indexer-board
 *   title: Indexers            # optional
 *   problems_only: false       # start with only the rows that have a problem
 *   instances: [<entry id>]    # optional: the instances to show (default all)
 *   show_last_success: true
 *   show_response_time: true
 */

// Every text the card shows. Custom cards have no translation mechanism.
const STRINGS = {
  cardName: "AI Arr Control indexer board",
  cardDescription:
    "Every indexer of every Arr instance: status, cause, last success, response time; switch and test each one.",
  defaultTitle: "Indexers",
  indexer: "Indexer",
  problemsOnly: "Problems only",
  loading: "Loading indexers…",
  notLoaded:
    "The indexer board is not available: is AI Arr Control set up and loaded?",
  noInstances: "No Arr instance is configured in AI Arr Control.",
  noRows: "No indexers.",
  noProblems: "No indexer has a problem.",
  unreachable: "unreachable",
  notLoadedInstance: "not loaded",
  indexers: (n) => `${n} ${n === 1 ? "indexer" : "indexers"}`,
  since: (time) => `since ${time}`,
  lastSuccess: (time) => `last success ${time}`,
  neverPassed: "no success yet",
  responseTime: (ms) => `${Math.round(ms)} ms`,
  testNow: "Test now",
  testing: "Testing…",
  enabled: "Enabled",
  switchViaSource:
    "Synced from Prowlarr: switch it on the Prowlarr indexer of this row.",
  switchFailed: "Could not switch the indexer",
  testFailed: "Could not test the indexer",
  tested: (name, state) => `${name}: ${state}`,
  notInInstance: "—",
  states: {
    passing: "Passing",
    failing: "Failing",
    rate_limited: "Quota",
    auto_disabled: "Disabled by auto-heal",
    user_disabled: "Disabled",
    untested: "Not tested yet",
    unavailable: "Unavailable",
  },
  counts: {
    failing: (n) => `${n} failing`,
    rate_limited: (n) => `${n} at quota`,
    auto_disabled: (n) => `${n} disabled by auto-heal`,
    user_disabled: (n) => `${n} disabled`,
  },
  causes: {
    auth: "Credentials refused",
    cloudflare: "Cloudflare protection",
    config: "Setting to fix",
    network: "Network",
    quota: "Quota reached",
    site_error: "Site error",
    unknown: "Unknown",
    upstream: "Refused by Prowlarr",
  },
  editor: {
    title: "Title",
    problemsOnly: "Show only problems at first",
    showLastSuccess: "Show the last success",
    showResponseTime: "Show the response time",
    instances: "Instances",
    instancesHint: "None ticked: every instance.",
    loadingInstances: "Loading instances…",
  },
};

const DOMAIN = "ai_arr_control";
const CARD_TYPE = "ai-arr-indexer-board";
const EDITOR_TYPE = "ai-arr-indexer-board-editor";
// Below this card width the table becomes one block per indexer.
const NARROW_WIDTH = 600;
// Relative times ("3 minutes ago") are refreshed this often.
const CLOCK_INTERVAL_MS = 60_000;
const COUNTED_STATES = ["failing", "rate_limited", "auto_disabled", "user_disabled"];
// mdi:test-tube
const TEST_ICON =
  "M7,2V4H8V18A4,4 0 0,0 12,22A4,4 0 0,0 16,18V4H17V2H7M11,16C10.4,16 10,15.6 10,15C10,14.4 10.4,14 11,14C11.6,14 12,14.4 12,15C12,15.6 11.6,16 11,16M13,12C12.4,12 12,11.6 12,11C12,10.4 12.4,10 13,10C13.6,10 14,10.4 14,11C14,11.6 13.6,12 13,12M14,7H10V4H14V7Z";

const DEFAULT_CONFIG = {
  problems_only: false,
  show_last_success: true,
  show_response_time: true,
};

function escapeHtml(value) {
  return String(value ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function fireEvent(node, type, detail) {
  node.dispatchEvent(
    new CustomEvent(type, { detail, bubbles: true, composed: true }),
  );
}

const RELATIVE_UNITS = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

function relativeTime(iso, language) {
  const moment = Date.parse(iso);
  if (Number.isNaN(moment)) return "";
  const seconds = (moment - Date.now()) / 1000;
  let format;
  try {
    format = new Intl.RelativeTimeFormat(language || undefined, {
      numeric: "auto",
    });
  } catch (_err) {
    format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  }
  for (const [unit, size] of RELATIVE_UNITS) {
    if (Math.abs(seconds) >= size || unit === "second") {
      return format.format(Math.round(seconds / size), unit);
    }
  }
  return "";
}

const STYLES = `
  :host {
    display: block;
    --aac-passing: var(--success-color, #43a047);
    --aac-failing: var(--error-color, #db4437);
    --aac-quota: var(--warning-color, #ffa600);
    --aac-muted: var(--disabled-text-color, #bdbdbd);
  }
  ha-card {
    display: block;
    overflow: hidden;
    color: var(--primary-text-color);
    background: var(--ha-card-background, var(--card-background-color, #fff));
    border-radius: var(--ha-card-border-radius, 12px);
  }
  .header {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 8px 16px;
    padding: 16px 16px 8px;
  }
  .title {
    font-size: 1.25em;
    font-weight: 500;
    margin-right: auto;
  }
  .counts {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 12px;
    color: var(--secondary-text-color);
    font-size: 0.9em;
  }
  .count[data-count="failing"],
  .count[data-count="auto_disabled"] { color: var(--aac-failing); }
  .count[data-count="rate_limited"] { color: var(--aac-quota); }
  .filter {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    cursor: pointer;
    user-select: none;
  }
  .filter input { accent-color: var(--primary-color); margin: 0; }
  .message-box {
    padding: 8px 16px 16px;
    color: var(--secondary-text-color);
  }
  .scroll { overflow-x: auto; padding: 0 8px 8px; }
  table { border-collapse: collapse; width: 100%; }
  th, td {
    text-align: left;
    vertical-align: top;
    padding: 8px;
    border-bottom: 1px solid var(--divider-color, rgba(0, 0, 0, 0.12));
  }
  tbody tr:last-child td { border-bottom: none; }
  th {
    font-weight: 500;
    color: var(--secondary-text-color);
    white-space: nowrap;
  }
  th .app { display: block; font-weight: 400; font-size: 0.85em; }
  th .badge, .instance .badge {
    color: var(--aac-failing);
    font-weight: 400;
    font-size: 0.85em;
  }
  td.name, th.name {
    position: sticky;
    left: 0;
    background: var(--ha-card-background, var(--card-background-color, #fff));
    min-width: 120px;
    max-width: 220px;
  }
  .link {
    background: none;
    border: none;
    padding: 0;
    font: inherit;
    color: var(--primary-text-color);
    text-align: left;
    cursor: pointer;
    overflow-wrap: anywhere;
  }
  .link:hover { text-decoration: underline; }
  .cell { display: flex; flex-direction: column; gap: 2px; min-width: 150px; }
  .cell-head { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
  .chip {
    --chip-color: var(--secondary-text-color);
    display: inline-flex;
    align-items: center;
    gap: 6px;
    border: 1px solid var(--chip-color);
    border-radius: 12px;
    padding: 1px 10px 1px 8px;
    font: inherit;
    font-size: 0.85em;
    line-height: 20px;
    color: var(--primary-text-color);
    background: color-mix(in srgb, var(--chip-color) 16%, transparent);
    cursor: pointer;
    white-space: nowrap;
  }
  .chip::before {
    content: "";
    width: 8px;
    height: 8px;
    border-radius: 50%;
    background: var(--chip-color);
  }
  .chip[data-chip="passing"] { --chip-color: var(--aac-passing); }
  .chip[data-chip="failing"] { --chip-color: var(--aac-failing); }
  .chip[data-chip="rate_limited"] { --chip-color: var(--aac-quota); }
  .chip[data-chip="auto_disabled"] {
    --chip-color: var(--aac-failing);
    border-style: dashed;
  }
  .chip[data-chip="user_disabled"],
  .chip[data-chip="unavailable"] { --chip-color: var(--aac-muted); }
  .chip[data-chip="untested"] { --chip-color: var(--secondary-text-color); }
  .cause { font-size: 0.9em; }
  .detail {
    font-size: 0.85em;
    color: var(--secondary-text-color);
    overflow-wrap: anywhere;
    display: -webkit-box;
    -webkit-line-clamp: 2;
    -webkit-box-orient: vertical;
    overflow: hidden;
  }
  .meta { font-size: 0.85em; color: var(--secondary-text-color); }
  .error { font-size: 0.85em; color: var(--aac-failing); }
  .actions { display: inline-flex; align-items: center; gap: 4px; margin-left: auto; }
  .hint { font-size: 0.8em; color: var(--secondary-text-color); cursor: help; }
  input.switch { accent-color: var(--primary-color); width: 18px; height: 18px; margin: 0; cursor: pointer; }
  .icon-button {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    width: 32px;
    height: 32px;
    padding: 0;
    border: none;
    border-radius: 50%;
    background: none;
    color: var(--secondary-text-color);
    cursor: pointer;
  }
  .icon-button:hover:not([disabled]) {
    background: color-mix(in srgb, var(--primary-text-color) 8%, transparent);
    color: var(--primary-text-color);
  }
  .icon-button[disabled] { cursor: progress; }
  .icon-button svg { width: 20px; height: 20px; fill: currentColor; }
  .spinner {
    width: 16px;
    height: 16px;
    border: 2px solid var(--divider-color, rgba(0, 0, 0, 0.12));
    border-top-color: var(--primary-color, #03a9f4);
    border-radius: 50%;
    animation: spin 0.8s linear infinite;
  }
  @keyframes spin { to { transform: rotate(360deg); } }
  .empty { color: var(--disabled-text-color, #bdbdbd); }
  .stack { padding: 0 16px 8px; }
  .stack-row { padding: 8px 0; border-bottom: 1px solid var(--divider-color, rgba(0, 0, 0, 0.12)); }
  .stack-row:last-child { border-bottom: none; }
  .stack-name { font-weight: 500; margin-bottom: 4px; }
  .stack-line { display: flex; gap: 8px; padding: 4px 0; }
  .stack-line .instance {
    flex: 0 0 30%;
    max-width: 140px;
    color: var(--secondary-text-color);
    font-size: 0.9em;
    overflow-wrap: anywhere;
  }
  .stack-line .cell { flex: 1; min-width: 0; }
`;

class AiArrIndexerBoard extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = { ...DEFAULT_CONFIG };
    this._board = null;
    this._error = null;
    this._problemsOnly = false;
    this._narrow = false;
    this._pending = new Set();
    this._errors = new Map();
    this._unsubscribe = null;
    this._subscribing = false;
    this._watched = new Map();
    this._resizeObserver = null;
    this._clock = null;
  }

  static getConfigElement() {
    return document.createElement(EDITOR_TYPE);
  }

  static getStubConfig() {
    return { title: STRINGS.defaultTitle, ...DEFAULT_CONFIG };
  }

  setConfig(config) {
    if (!config || typeof config !== "object") {
      throw new Error("Invalid configuration");
    }
    if (config.instances !== undefined && !Array.isArray(config.instances)) {
      throw new Error("instances must be a list of config entry IDs");
    }
    this._config = { ...DEFAULT_CONFIG, ...config };
    this._problemsOnly = Boolean(this._config.problems_only);
    this._render();
  }

  set hass(hass) {
    const first = !this._hass;
    this._hass = hass;
    if (first || !this._unsubscribe) this._subscribe();
    // Home Assistant sets hass at every state change: render only when an
    // entity the board shows changed (its switches follow at once).
    if (first || this._watchedChanged()) this._render();
  }

  get hass() {
    return this._hass;
  }

  getCardSize() {
    const rows = this._board ? this._visibleRows().length : 3;
    return 2 + Math.ceil(rows * 1.5);
  }

  getGridOptions() {
    return { columns: "full", min_columns: 6, min_rows: 3 };
  }

  connectedCallback() {
    this._subscribe();
    if (!this._resizeObserver && "ResizeObserver" in window) {
      this._resizeObserver = new ResizeObserver((entries) => {
        const width = entries[0]?.contentRect.width ?? 0;
        const narrow = width > 0 && width < NARROW_WIDTH;
        if (narrow !== this._narrow) {
          this._narrow = narrow;
          this._render();
        }
      });
    }
    this._resizeObserver?.observe(this);
    if (!this._clock) {
      this._clock = setInterval(() => this._render(), CLOCK_INTERVAL_MS);
    }
  }

  disconnectedCallback() {
    this._resizeObserver?.disconnect();
    if (this._clock) {
      clearInterval(this._clock);
      this._clock = null;
    }
    if (this._unsubscribe) {
      const unsubscribe = this._unsubscribe;
      this._unsubscribe = null;
      // The connection may already be gone: nothing left to unsubscribe then.
      Promise.resolve()
        .then(unsubscribe)
        .catch(() => undefined);
    }
  }

  async _subscribe() {
    if (!this._hass || !this.isConnected || this._unsubscribe || this._subscribing) {
      return;
    }
    this._subscribing = true;
    try {
      const unsubscribe = await this._hass.connection.subscribeMessage(
        (board) => {
          this._board = board;
          this._error = null;
          this._render();
        },
        { type: `${DOMAIN}/subscribe_board` },
      );
      if (this.isConnected) {
        this._unsubscribe = unsubscribe;
      } else {
        unsubscribe();
      }
    } catch (err) {
      this._error = err;
      this._render();
    } finally {
      this._subscribing = false;
    }
  }

  _watchedChanged() {
    if (!this._hass) return false;
    for (const [entityId, state] of this._watched) {
      if (this._hass.states[entityId] !== state) return true;
    }
    return false;
  }

  _visibleColumns() {
    const columns = this._board?.columns ?? [];
    const wanted = this._config.instances;
    if (!Array.isArray(wanted) || wanted.length === 0) return columns;
    return columns.filter((column) => wanted.includes(column.entry_id));
  }

  _visibleRows(columns = this._visibleColumns()) {
    const ids = new Set(columns.map((column) => column.entry_id));
    return (this._board?.rows ?? []).filter((row) =>
      row.cells.some((cell) => ids.has(cell.entry_id)),
    );
  }

  _render() {
    if (!this.shadowRoot) return;
    const title = this._config.title ?? STRINGS.defaultTitle;
    let body;
    let counts = "";
    if (this._error) {
      body = `<div class="message-box" data-message="error">${escapeHtml(STRINGS.notLoaded)}</div>`;
    } else if (!this._board) {
      body = `<div class="message-box" data-message="loading">${escapeHtml(STRINGS.loading)}</div>`;
    } else {
      const columns = this._visibleColumns();
      const ids = new Set(columns.map((column) => column.entry_id));
      const rows = this._visibleRows(columns);
      const shown = this._problemsOnly
        ? rows.filter((row) =>
            row.cells.some((cell) => ids.has(cell.entry_id) && cell.problem),
          )
        : rows;
      counts = this._renderCounts(rows, ids);
      this._watched = new Map();
      if (columns.length === 0) {
        body = `<div class="message-box" data-message="no-instances">${escapeHtml(STRINGS.noInstances)}</div>`;
      } else if (shown.length === 0) {
        const text = this._problemsOnly ? STRINGS.noProblems : STRINGS.noRows;
        body = `<div class="message-box" data-message="empty">${escapeHtml(text)}</div>`;
      } else {
        body = this._narrow
          ? this._renderStack(shown, columns)
          : this._renderTable(shown, columns);
      }
    }
    this.shadowRoot.innerHTML = `
      <style>${STYLES}</style>
      <ha-card>
        <div class="header">
          ${title ? `<div class="title">${escapeHtml(title)}</div>` : ""}
          ${counts}
          <label class="filter">
            <input type="checkbox" data-action="problems-only" ${this._problemsOnly ? "checked" : ""}>
            ${escapeHtml(STRINGS.problemsOnly)}
          </label>
        </div>
        ${body}
      </ha-card>`;
    this._bind();
  }

  _renderCounts(rows, ids) {
    const counts = Object.fromEntries(COUNTED_STATES.map((state) => [state, 0]));
    for (const row of rows) {
      for (const cell of row.cells) {
        if (ids.has(cell.entry_id) && cell.available && cell.state in counts) {
          counts[cell.state] += 1;
        }
      }
    }
    const parts = [
      `<span class="count" data-count="indexers">${escapeHtml(STRINGS.indexers(rows.length))}</span>`,
      ...COUNTED_STATES.filter((state) => counts[state] > 0).map(
        (state) =>
          `<span class="count" data-count="${state}">${escapeHtml(STRINGS.counts[state](counts[state]))}</span>`,
      ),
    ];
    return `<div class="counts">${parts.join("")}</div>`;
  }

  _columnHeader(column) {
    let badge = "";
    if (!column.loaded) {
      badge = `<span class="badge">${escapeHtml(STRINGS.notLoadedInstance)}</span>`;
    } else if (!column.available) {
      badge = `<span class="badge">${escapeHtml(STRINGS.unreachable)}</span>`;
    }
    // The app's name only where the title does not already say it.
    const app = column.app && column.app !== column.title ? column.app : "";
    return { title: escapeHtml(column.title), app: escapeHtml(app), badge };
  }

  _renderTable(rows, columns) {
    const head = columns
      .map((column) => {
        const { title, app, badge } = this._columnHeader(column);
        return `<th data-column="${escapeHtml(column.entry_id)}">${title}<span class="app">${app} ${badge}</span></th>`;
      })
      .join("");
    const body = rows
      .map((row) => {
        const cells = columns
          .map((column) => {
            const own = row.cells.filter((cell) => cell.entry_id === column.entry_id);
            const content = own.length
              ? own.map((cell) => this._renderCell(cell)).join("")
              : `<span class="empty">${STRINGS.notInInstance}</span>`;
            return `<td>${content}</td>`;
          })
          .join("");
        return `<tr data-row="${escapeHtml(row.key)}"><td class="name">${this._renderName(row)}</td>${cells}</tr>`;
      })
      .join("");
    return `<div class="scroll"><table>
      <thead><tr><th class="name">${escapeHtml(STRINGS.indexer)}</th>${head}</tr></thead>
      <tbody>${body}</tbody>
    </table></div>`;
  }

  _renderStack(rows, columns) {
    const body = rows
      .map((row) => {
        const lines = columns
          .flatMap((column) =>
            row.cells
              .filter((cell) => cell.entry_id === column.entry_id)
              .map((cell) => {
                const { title, badge } = this._columnHeader(column);
                return `<div class="stack-line"><span class="instance">${title} ${badge}</span>${this._renderCell(cell)}</div>`;
              }),
          )
          .join("");
        return `<div class="stack-row" data-row="${escapeHtml(row.key)}">
          <div class="stack-name">${this._renderName(row)}</div>${lines}</div>`;
      })
      .join("");
    return `<div class="stack">${body}</div>`;
  }

  _renderName(row) {
    const entityId = row.cells.find((cell) => cell.state_entity_id)?.state_entity_id;
    if (!entityId) return escapeHtml(row.name);
    return `<button class="link" data-action="more-info" data-entity-id="${escapeHtml(entityId)}">${escapeHtml(row.name)}</button>`;
  }

  _renderCell(cell) {
    const key = `${cell.entry_id}:${cell.indexer_id}`;
    const state = cell.available ? cell.state : "unavailable";
    const language = this._hass?.locale?.language ?? this._hass?.language;
    const chipAttributes = cell.state_entity_id
      ? `data-action="more-info" data-entity-id="${escapeHtml(cell.state_entity_id)}"`
      : "";
    const chip = `<button class="chip" data-chip="${state}" ${chipAttributes} title="${escapeHtml(cell.name)}">${escapeHtml(STRINGS.states[state] ?? state)}</button>`;
    const lines = [];
    // A passing indexer has no cause; an unreachable instance's is stale.
    const failed = state !== "passing" && state !== "unavailable";
    if (cell.cause && failed) {
      lines.push(
        `<div class="cause" data-field="cause">${escapeHtml(STRINGS.causes[cell.cause] ?? cell.cause)}</div>`,
      );
    }
    if (cell.message && failed) {
      lines.push(
        `<div class="detail" data-field="message" title="${escapeHtml(cell.message)}">${escapeHtml(cell.message)}</div>`,
      );
    }
    const meta = [];
    if (cell.since) {
      meta.push(STRINGS.since(relativeTime(cell.since, language)));
    }
    if (this._config.show_last_success && state !== "untested") {
      meta.push(
        cell.last_success
          ? STRINGS.lastSuccess(relativeTime(cell.last_success, language))
          : STRINGS.neverPassed,
      );
    }
    if (this._config.show_response_time && typeof cell.response_time === "number") {
      meta.push(STRINGS.responseTime(cell.response_time));
    }
    if (meta.length) {
      lines.push(`<div class="meta" data-field="meta">${escapeHtml(meta.join(" · "))}</div>`);
    }
    if (this._errors.has(key)) {
      lines.push(`<div class="error" data-field="error">${escapeHtml(this._errors.get(key))}</div>`);
    }
    return `<div class="cell" data-entry-id="${escapeHtml(cell.entry_id)}" data-indexer-id="${escapeHtml(cell.indexer_id)}" data-state="${escapeHtml(state)}">
      <div class="cell-head">${chip}<span class="actions">${this._renderSwitch(cell)}${this._renderTest(cell, key)}</span></div>
      ${lines.join("")}
    </div>`;
  }

  _renderSwitch(cell) {
    const entityId = cell.switch_entity_id;
    if (!entityId) return "";
    if (!cell.can_switch) {
      return `<span class="hint" title="${escapeHtml(STRINGS.switchViaSource)}">⇄</span>`;
    }
    const stateObj = this._hass?.states?.[entityId];
    this._watched.set(entityId, stateObj);
    const on = stateObj ? stateObj.state === "on" : cell.enabled;
    const disabled = !cell.available || (stateObj && stateObj.state === "unavailable");
    const attributes = `data-action="toggle" data-entity-id="${escapeHtml(entityId)}" title="${escapeHtml(STRINGS.enabled)}" aria-label="${escapeHtml(STRINGS.enabled)}" ${on ? "checked" : ""} ${disabled ? "disabled" : ""}`;
    if (customElements.get("ha-switch")) {
      return `<ha-switch ${attributes}></ha-switch>`;
    }
    return `<input type="checkbox" role="switch" class="switch" ${attributes}>`;
  }

  _renderTest(cell, key) {
    if (!cell.device_id) return "";
    const pending = this._pending.has(key);
    const label = pending ? STRINGS.testing : STRINGS.testNow;
    const icon = pending
      ? `<span class="spinner" role="progressbar"></span>`
      : `<svg viewBox="0 0 24 24" aria-hidden="true"><path d="${TEST_ICON}"></path></svg>`;
    return `<button class="icon-button" data-action="test" data-device-id="${escapeHtml(cell.device_id)}" data-key="${escapeHtml(key)}" title="${escapeHtml(label)}" aria-label="${escapeHtml(label)}" ${pending || !cell.available ? "disabled" : ""}>${icon}</button>`;
  }

  _bind() {
    const root = this.shadowRoot;
    root.querySelector('[data-action="problems-only"]')?.addEventListener("change", (ev) => {
      this._problemsOnly = ev.target.checked;
      this._render();
    });
    for (const button of root.querySelectorAll('[data-action="more-info"]')) {
      button.addEventListener("click", () =>
        fireEvent(this, "hass-more-info", { entityId: button.dataset.entityId }),
      );
    }
    for (const toggle of root.querySelectorAll('[data-action="toggle"]')) {
      toggle.addEventListener("change", () => this._toggle(toggle));
    }
    for (const button of root.querySelectorAll('[data-action="test"]')) {
      button.addEventListener("click", () => this._test(button));
    }
  }

  async _toggle(toggle) {
    const entityId = toggle.dataset.entityId;
    const cell = toggle.closest(".cell");
    const key = `${cell?.dataset.entryId}:${cell?.dataset.indexerId}`;
    this._errors.delete(key);
    try {
      await this._hass.callService(
        "switch",
        toggle.checked ? "turn_on" : "turn_off",
        { entity_id: entityId },
        undefined,
        false,
      );
    } catch (err) {
      this._fail(key, STRINGS.switchFailed, err);
    }
    // The switch shows the entity's state, not the click, if the call failed.
    this._render();
  }

  async _test(button) {
    const key = button.dataset.key;
    if (this._pending.has(key)) return;
    this._pending.add(key);
    this._errors.delete(key);
    this._render();
    try {
      const result = await this._hass.callService(
        DOMAIN,
        "test_indexer",
        { device_id: button.dataset.deviceId },
        undefined,
        false,
        true,
      );
      const response = result?.response;
      if (response?.state) {
        fireEvent(this, "hass-notification", {
          message: STRINGS.tested(
            response.indexer,
            STRINGS.states[response.state] ?? response.state,
          ),
        });
      }
    } catch (err) {
      this._fail(key, STRINGS.testFailed, err);
    } finally {
      this._pending.delete(key);
      this._render();
    }
  }

  _fail(key, text, err) {
    const message = err?.message ? `${text}: ${err.message}` : text;
    this._errors.set(key, message);
    fireEvent(this, "hass-notification", { message });
  }
}

class AiArrIndexerBoardEditor extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = {};
    this._columns = null;
    this._loading = false;
  }

  setConfig(config) {
    this._config = { ...config };
    this._render();
  }

  set hass(hass) {
    this._hass = hass;
    if (this._columns === null && !this._loading) this._loadColumns();
  }

  async _loadColumns() {
    this._loading = true;
    try {
      const board = await this._hass.callWS({ type: `${DOMAIN}/board` });
      this._columns = board.columns;
    } catch (_err) {
      this._columns = [];
    } finally {
      this._loading = false;
      this._render();
    }
  }

  _value(key) {
    return this._config[key] ?? DEFAULT_CONFIG[key];
  }

  _render() {
    const root = this.shadowRoot;
    const title = root.querySelector('[data-field="title"]');
    if (title && root.activeElement === title) {
      // Typing: leave the field alone, only the instances may have arrived.
      this._renderInstances();
      return;
    }
    const text = STRINGS.editor;
    const checkbox = (key, label) =>
      `<label class="row"><input type="checkbox" data-field="${key}" ${this._value(key) ? "checked" : ""}> ${escapeHtml(label)}</label>`;
    root.innerHTML = `
      <style>
        :host { display: block; color: var(--primary-text-color); }
        .row { display: flex; align-items: center; gap: 8px; padding: 6px 0; cursor: pointer; }
        input[type="checkbox"] { accent-color: var(--primary-color); margin: 0; }
        .text { display: flex; flex-direction: column; gap: 4px; padding: 6px 0; }
        .text input {
          font: inherit;
          padding: 8px;
          color: var(--primary-text-color);
          background: var(--secondary-background-color, transparent);
          border: 1px solid var(--divider-color, rgba(0, 0, 0, 0.12));
          border-radius: 4px;
        }
        fieldset { border: 1px solid var(--divider-color, rgba(0, 0, 0, 0.12)); border-radius: 4px; margin: 8px 0 0; }
        legend, .hint { color: var(--secondary-text-color); }
        .hint { font-size: 0.85em; }
      </style>
      <label class="text">${escapeHtml(text.title)}
        <input type="text" data-field="title" value="${escapeHtml(this._config.title ?? "")}" placeholder="${escapeHtml(STRINGS.defaultTitle)}">
      </label>
      ${checkbox("problems_only", text.problemsOnly)}
      ${checkbox("show_last_success", text.showLastSuccess)}
      ${checkbox("show_response_time", text.showResponseTime)}
      <fieldset><legend>${escapeHtml(text.instances)}</legend><div data-instances></div></fieldset>`;
    root.querySelector('[data-field="title"]').addEventListener("input", (ev) => {
      this._change({ title: ev.target.value || undefined });
    });
    for (const key of ["problems_only", "show_last_success", "show_response_time"]) {
      root.querySelector(`[data-field="${key}"]`).addEventListener("change", (ev) => {
        this._change({ [key]: ev.target.checked });
      });
    }
    this._renderInstances();
  }

  _renderInstances() {
    const box = this.shadowRoot.querySelector("[data-instances]");
    if (!box) return;
    if (this._columns === null) {
      box.innerHTML = `<div class="hint">${escapeHtml(STRINGS.editor.loadingInstances)}</div>`;
      return;
    }
    const selected = new Set(this._config.instances ?? []);
    box.innerHTML =
      this._columns
        .map(
          (column) =>
            `<label class="row"><input type="checkbox" data-instance="${escapeHtml(column.entry_id)}" ${selected.has(column.entry_id) ? "checked" : ""}> ${escapeHtml(column.title)} <span class="hint">${escapeHtml(column.app ?? "")}</span></label>`,
        )
        .join("") + `<div class="hint">${escapeHtml(STRINGS.editor.instancesHint)}</div>`;
    for (const input of box.querySelectorAll("[data-instance]")) {
      input.addEventListener("change", () => {
        const instances = [...box.querySelectorAll("[data-instance]")]
          .filter((item) => item.checked)
          .map((item) => item.dataset.instance);
        this._change({ instances: instances.length ? instances : undefined });
      });
    }
  }

  _change(changes) {
    const config = { ...this._config, ...changes };
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) delete config[key];
    }
    this._config = config;
    fireEvent(this, "config-changed", { config });
  }
}

if (!customElements.get(CARD_TYPE)) {
  customElements.define(CARD_TYPE, AiArrIndexerBoard);
}
if (!customElements.get(EDITOR_TYPE)) {
  customElements.define(EDITOR_TYPE, AiArrIndexerBoardEditor);
}
window.customCards = window.customCards || [];
if (!window.customCards.some((card) => card.type === CARD_TYPE)) {
  window.customCards.push({
    type: CARD_TYPE,
    name: STRINGS.cardName,
    description: STRINGS.cardDescription,
    preview: true,
    documentationURL: "https://github.com/ai-arr-control/ai-arr-control#the-indexer-board-card",
  });
}
