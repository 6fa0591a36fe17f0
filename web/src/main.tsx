// The simulator's dashboard page: a paged, filtered grid of tanks and the open
// device's detail panel, kept live over one WebSocket.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Store, type StatusFilter } from "./store.js";
import { Card } from "./card.js";
import { Detail } from "./detail.js";
import { fmtAchieved, fmtAgo, fmtSpeed, fmtTime } from "./format.js";
import "./style.css";

const store = new Store(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);

const SPEEDS = [1, 10, 60, 300, 600, 3600];
const PAGE_SIZES = [6, 12, 24, 48, 96];

function useStore(): number {
  const [, setV] = useState(0);
  useEffect(() => store.subscribe(() => setV(store.version)), []);
  return store.version;
}

function Toolbar() {
  const p = store.page;
  const c = p?.counts;
  const chips: [StatusFilter, string, number | undefined][] = [
    ["all", "All", c?.all],
    ["online", "Online", c?.online],
    ["offline", "Offline", c ? c.all - c.online : undefined],
    ["pump-on", "Pump on", c?.pumpOn],
    ["refused", "Refused", c?.refused],
    ["bad-reading", "Bad reading", c?.badReading],
  ];
  const pages = p ? Math.max(1, Math.ceil(p.total / p.pageSize)) : 1;
  const page = p?.page ?? 0;
  return (
    <div class="toolbar">
      <input type="search" placeholder="Filter by uid or name" value={store.view.filter} onInput={(e) => store.setView({ filter: (e.target as HTMLInputElement).value, page: 0 })} aria-label="filter devices" />
      <div class="chips" role="group" aria-label="status filter">
        {chips.map(([k, label, n]) => (
          <button type="button" key={k} class={store.view.status === k ? "chip sel" : "chip"} data-status={k} onClick={() => store.setView({ status: k, page: 0 })}>
            {label} <span class="n">{n ?? "…"}</span>
          </button>
        ))}
      </div>
      <div class="pager">
        <button type="button" disabled={page <= 0} onClick={() => store.setView({ page: page - 1 })} aria-label="previous page">‹</button>
        <span data-field="page">page {page + 1} / {pages}{p ? ` · ${p.total} device${p.total === 1 ? "" : "s"}` : ""}</span>
        <button type="button" disabled={page >= pages - 1} onClick={() => store.setView({ page: page + 1 })} aria-label="next page">›</button>
        <select value={store.view.pageSize} onChange={(e) => store.setView({ pageSize: Number((e.target as HTMLSelectElement).value), page: 0 })} aria-label="devices per page">
          {PAGE_SIZES.map((n) => <option key={n} value={n}>{n} / page</option>)}
        </select>
      </div>
    </div>
  );
}

function App() {
  useStore();
  const p = store.page;
  const h = store.hello;
  const speed = p?.speed ?? h?.speed ?? null;
  const achieved = store.stale ? null : (p?.achievedSpeed ?? null);
  // while stale, nothing arrives: tick once a second so "lost … ago" stays true
  const [, tick] = useState(0);
  useEffect(() => {
    if (!store.stale) return;
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [store.stale]);
  // the requested speed is what was asked for; the achieved one is what the machine manages
  const behind = achieved !== null && speed !== null && achieved < speed * 0.9;
  return (
    <div class={`layout${store.detailUid ? " with-detail" : ""}${store.stale ? " stale" : ""}`}>
      <header class="top">
        <h1>iotbind-tank <span>simulator</span></h1>
        <div class="clock" title="virtual time since the start">
          <span class="muted">virtual time</span> <strong data-field="now">{p ? fmtTime(p.nowMs) : "—"}</strong>
        </div>
        <span class={behind ? "achieved behind" : "achieved"} data-field="achieved-speed" title="virtual seconds per real second over the last 3 s">
          <span class="muted">running at</span> <strong>{achieved === null ? "—" : fmtAchieved(achieved)}</strong>
        </span>
        <label class="speed">
          <span class="muted">asked for</span>{" "}
          <select value={speed === null ? "" : String(speed)} onChange={(e) => void store.setSpeed(Number((e.target as HTMLSelectElement).value))} aria-label="simulation speed">
            {speed !== null && !SPEEDS.includes(speed) && <option value={String(speed)}>{fmtSpeed(speed)}</option>}
            {speed === null && <option value="">max</option>}
            {SPEEDS.map((v) => <option key={v} value={String(v)}>{fmtSpeed(v)}</option>)}
          </select>
        </label>
        <span class="broker muted" title="MQTT broker">{h?.brokerUrl ?? ""}</span>
        {p?.brokerUp === false && <span class="broker-down" data-field="broker-down">broker down</span>}
        <span class={store.connected ? "live on" : "live"} data-field="live">{store.connected ? "live" : "reconnecting…"}</span>
      </header>
      {store.stale && (
        <div class="stale-banner" data-field="stale" role="status">
          Lost the connection to the simulator{store.lostAt !== null ? ` ${fmtAgo(Date.now() - store.lostAt)}` : ""}: what you see is the last known state at virtual time {p ? fmtTime(p.nowMs) : "—"}, not live. Reconnecting…
        </div>
      )}
      <Toolbar />
      <main>
        <section class="grid" aria-label="devices">
          {p?.devices.map((d) => <Card key={d.uid} store={store} d={d} />)}
          {p && p.devices.length === 0 && <p class="muted empty">No device matches.</p>}
        </section>
        <Detail store={store} />
      </main>
    </div>
  );
}

store.connect();
render(<App />, document.getElementById("app")!);
