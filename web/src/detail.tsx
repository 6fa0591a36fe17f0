// The open device: big chart, the platform's view, the device's state, the
// message log (uplink and downlink JSON) and its config.
import { useEffect, useRef } from "preact/hooks";
import type { LogEntry, Store } from "./store.js";
import { Chart, ChartLegend } from "./chart.js";
import { Badge, OnOff, Pending, RefusalBadge } from "./card.js";
import { fmtAgo, fmtNum, fmtTime } from "./format.js";

const KIND_LABEL: Record<LogEntry["kind"], string> = {
  uplink: "↑ uplink",
  downlink: "↓ downlink",
  rejected: "✕ rejected",
  relay: "device relay",
  refusal: "refused",
  conn: "mqtt",
  app: "app switch",
};

function pretty(e: LogEntry): string {
  if (e.kind !== "uplink" && e.kind !== "downlink") return e.text;
  try {
    return JSON.stringify(JSON.parse(e.text));
  } catch {
    return e.text;
  }
}

export function Detail({ store }: { store: Store }) {
  const uid = store.detailUid;
  const el = useRef<HTMLElement>(null);
  // Opening a device brings its detail into view (on a phone it is not beside the grid).
  const loaded = store.detail !== null;
  useEffect(() => {
    const box = el.current?.getBoundingClientRect();
    if (el.current && box && (box.top < 0 || box.top > window.innerHeight - 80)) el.current.scrollIntoView({ block: "start" });
  }, [uid, loaded]);
  if (!uid) return null;
  const m = store.detail;
  const s = store.samples.get(uid);
  const close = () => store.openDetail(null);
  if (!m) {
    return (
      <aside class="detail" data-detail={uid} ref={el}>
        <header><h2>{uid}</h2><button type="button" class="close" onClick={close} aria-label="close">×</button></header>
        <p class="muted">loading…</p>
      </aside>
    );
  }
  const d = m.device;
  const p = d.platform;
  const log = store.log.slice().reverse();
  return (
    <aside class="detail" data-detail={uid} ref={el}>
      <header>
        <h2>{d.name} <span class="uid">{d.uid}</span></h2>
        <button type="button" class="close" onClick={close} aria-label="close">×</button>
      </header>
      <div class="detail-actions">
        <OnOff store={store} d={d} />
        <Pending store={store} d={d} />
        <button type="button" class="secondary" onClick={() => void store.pressButton(d.uid)} title="Press the device's push button (200 ms)">Press button</button>
        <RefusalBadge d={d} />
      </div>
      <Chart samples={s?.data} version={s?.version ?? 0} height={260} legend thresholds={{ start: d.autoStartPct, stop: d.autoStopPct }} />
      <ChartLegend thresholds={{ start: d.autoStartPct, stop: d.autoStopPct }} />
      <div class="panels">
        <section>
          <h3>Device</h3>
          <table class="kv">
            <tbody>
              <tr><th>MQTT connection</th><td><Badge kind={d.online ? "good" : "bad"}>{d.connState.toLowerCase().replace(/_/g, " ")}</Badge></td></tr>
              <tr><th>Sensor reading</th><td>{fmtNum(d.levelPct, 1, "%")}</td></tr>
              <tr><th>Simulated level</th><td>{d.trueLevelPct.toFixed(1)} % <small class="muted">(the tank's real level in the simulation)</small></td></tr>
              <tr><th>Temperature</th><td>{fmtNum(d.temperatureC, 1, "°C")}</td></tr>
              <tr><th>Reading quality</th><td>{d.quality}</td></tr>
              <tr><th>Device relay</th><td data-field="detail-relay">pump {d.relayOn ? "ON" : "OFF"} ({d.relaySwitches} switches)</td></tr>
              <tr><th>Pump refusals</th><td data-field="refusals">{d.refusals}{d.refusalText ? `, last: ${d.refusalText}` : d.refusals > 0 ? ` (${d.lastRefusal})` : ""}{d.lastRefusalAtMs !== null ? ` at ${fmtTime(d.lastRefusalAtMs)}` : ""}</td></tr>
              <tr><th>Publishes</th><td>{d.publishes}</td></tr>
              <tr><th>Traps</th><td>{d.traps}</td></tr>
            </tbody>
          </table>
        </section>
        <section data-panel="platform">
          <h3>iotBind platform (emulator)</h3>
          {p ? (
            <table class="kv">
              <tbody>
                <tr><th>Authenticated</th><td data-field="authenticated">{p.authenticated === null ? "no message yet" : p.authenticated ? "yes (uid + key)" : "NO (wrong key)"}</td></tr>
                <tr><th>Platform connection</th><td data-field="platform-connected">{p.connected ? "connected" : "not connected"}</td></tr>
                <tr><th>Last seen</th><td>{p.lastSeenMs === null ? "never" : `${fmtTime(p.lastSeenMs)} (${fmtAgo(d.timeMs - p.lastSeenMs)})`}</td></tr>
                <tr><th>App switch</th><td>{p.cmd.toUpperCase()}</td></tr>
                <tr><th>Stored level</th><td>{p.level ?? "—"} %</td></tr>
                <tr><th>Stored temperature</th><td>{p.temperature ?? "—"} °C</td></tr>
                <tr><th>Messages</th><td>{p.accepted} accepted, {p.rejected} rejected{p.lastRejectReason ? ` (last: ${p.lastRejectReason})` : ""}</td></tr>
                <tr><th>States published</th><td>{p.statesPublished}</td></tr>
              </tbody>
            </table>
          ) : <p class="muted">the platform emulator is off</p>}
        </section>
      </div>
      <section>
        <h3>Message log <small class="muted">(newest first, virtual time)</small></h3>
        <div class="log" data-panel="log">
          <table>
            <tbody>
              {log.map((e) => (
                <tr key={e.seq} class={`log-${e.kind}`}>
                  <td class="t">{fmtTime(e.atMs)}</td>
                  <td class="k">{KIND_LABEL[e.kind]}</td>
                  <td class="m">{e.topic && <span class="topic">{e.topic}</span>}<code>{pretty(e)}</code></td>
                </tr>
              ))}
            </tbody>
          </table>
          {log.length === 0 && <p class="muted">no messages yet</p>}
        </div>
      </section>
      {store.config && (
        <details>
          <summary>Firmware config</summary>
          <pre class="config">{JSON.stringify(store.config, null, 2)}</pre>
        </details>
      )}
    </aside>
  );
}
