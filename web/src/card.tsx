// One device in the grid: tank, readings, pump and platform state, the app's
// on/off switch, and a small chart with its legend. Names are the user's: the
// sensor reading vs the simulated truth, the app's switch vs the device's
// relay, the platform connection.
import type { DeviceSummary, Store } from "./store.js";
import { Tank } from "./tank.js";
import { Chart, ChartLegend } from "./chart.js";
import { fmtAgo, fmtIn, fmtNum } from "./format.js";

export function OnOff({ store, d }: { store: Store; d: DeviceSummary }) {
  const pending = store.pending.get(d.uid);
  const cmd = d.platform?.cmd ?? null;
  const disabled = !store.connected || pending !== undefined || d.platform === null;
  return (
    <div class="onoff" role="group" aria-label={`mobile app switch of ${d.uid}`}>
      <button type="button" data-action="on" class={cmd === "on" ? "sel" : ""} disabled={disabled} onClick={() => void store.setSwitch(d.uid, true)} title="Switch on, as the iotBind mobile app (through the platform emulator)">On</button>
      <button type="button" data-action="off" class={cmd === "off" ? "sel" : ""} disabled={disabled} onClick={() => void store.setSwitch(d.uid, false)} title="Switch off, as the iotBind mobile app">Off</button>
    </div>
  );
}

export function Badge({ kind, children, title }: { kind: string; children: preact.ComponentChildren; title?: string }) {
  return <span class={`badge ${kind}`} title={title}>{children}</span>;
}

/** "Off refused: minimum on-time 10 s, allowed in 7 s" while the refusal is news; a muted count afterwards. */
export function RefusalBadge({ d }: { d: DeviceSummary }) {
  if (d.refusals === 0 || d.refusalText === null) return null;
  let when = "";
  if (d.refusalAllowedAtMs !== null) when = d.refusalAllowedAtMs > d.timeMs ? `allowed ${fmtIn(d.refusalAllowedAtMs - d.timeMs)}` : "allowed now";
  else if (d.refusalAllowedWhen) when = `allowed ${d.refusalAllowedWhen}`;
  return (
    <span class={`refusal ${d.refusalActive ? "active" : "past"}`} data-field="refusal" title={`${d.refusals} pump request(s) refused by the pump rules so far (last: ${d.lastRefusal})`}>
      {d.refusalActive ? "" : "last: "}{d.refusalText}{when && d.refusalActive ? `, ${when}` : ""}
    </span>
  );
}

/** What is in flight: a command being sent, or the app's switch waiting for the device's relay. */
export function Pending({ store, d }: { store: Store; d: DeviceSummary }) {
  const sending = store.pending.get(d.uid);
  const p = d.platform;
  if (sending) return <span class="pending" data-field="pending">sending {sending === "on" ? "On" : sending === "off" ? "Off" : sending}…</span>;
  if (p && (p.cmd === "on") !== d.relayOn && !d.refusalActive) {
    return <span class="pending" data-field="pending">app switch {p.cmd.toUpperCase()}, waiting for the device's relay…</span>;
  }
  return null;
}

export function Card({ store, d }: { store: Store; d: DeviceSummary }) {
  const s = store.samples.get(d.uid);
  const p = d.platform;
  const mismatch = p !== null && (p.cmd === "on") !== d.relayOn;
  const err = store.errors.get(d.uid);
  const stale = store.stale;
  const open = () => store.openDetail(store.detailUid === d.uid ? null : d.uid);
  return (
    <article class={`card${d.online ? "" : " offline"}${store.detailUid === d.uid ? " open" : ""}${stale ? " stale" : ""}`} data-uid={d.uid} data-relay={d.relayOn ? "on" : "off"} data-online={String(d.online)} data-stale={String(stale)}>
      <header>
        <button type="button" class="title" onClick={open} title="Open: chart, message log, platform view">
          <strong>{d.name}</strong> <span class="uid">{d.uid}</span>
        </button>
        {stale
          ? <Badge kind="muted" title="the dashboard lost its connection to the simulator: this is the last known state">stale</Badge>
          : <Badge kind={d.online ? "good" : "bad"} title={`the device's MQTT connection: ${d.connState}`}>{d.online ? "online" : d.connState.toLowerCase().replace(/_/g, " ")}</Badge>}
      </header>
      <div class="card-body">
        <button type="button" class="tank-button" onClick={open} aria-label={`open ${d.name}`}><Tank d={d} /></button>
        <dl class="facts">
          <dt title="what the device's sensor measured">Sensor reading</dt>
          <dd class="level" data-field="level">{fmtNum(d.levelPct, 0, "%")}<small title="the simulated tank's real level" data-field="simulated"> simulated {d.trueLevelPct.toFixed(1)} %</small></dd>
          <dt>Volume</dt>
          <dd>{d.volumeL.toFixed(0)} / {d.capacityL.toFixed(0)} L</dd>
          <dt>Temperature</dt>
          <dd data-field="temperature">{fmtNum(d.temperatureC, 1, "°C")}</dd>
          <dt>Reading</dt>
          <dd><Badge kind={d.quality === "OK" ? "good" : "warn"} title="quality of the last sensor reading">{d.quality === "OK" ? "good" : d.quality.toLowerCase().replace(/_/g, " ")}</Badge></dd>
          <dt title="the relay on the device, which runs the pump">Device relay</dt>
          <dd data-field="relay"><Badge kind={d.relayOn ? "on" : "muted"}>{d.relayOn ? "pump ON" : "pump OFF"}</Badge>{d.auto && <small> auto {d.autoStartPct}–{d.autoStopPct} %</small>}</dd>
          <dt title="the on/off switch in the iotBind mobile app">App switch</dt>
          <dd data-field="platform-cmd">
            {p ? <Badge kind={mismatch ? "warn" : "muted"} title={mismatch ? "the app's switch differs from the device's relay (on its way, or refused)" : "the app's switch"}>{p.cmd.toUpperCase()}</Badge> : "no platform"}
          </dd>
          <dt title="whether the iotBind platform currently sees the device">Platform</dt>
          <dd data-field="platform-connection">
            {p ? `${p.connected ? "connected" : "not connected"}${p.lastSeenMs !== null ? `, heard ${fmtAgo(d.timeMs - p.lastSeenMs)}` : ""}` : "emulator off"}
          </dd>
        </dl>
      </div>
      <div class="card-actions">
        <OnOff store={store} d={d} />
        <Pending store={store} d={d} />
        <RefusalBadge d={d} />
        {err && <span class="error">{err}</span>}
      </div>
      <Chart samples={s?.data} version={s?.version ?? 0} height={120} thresholds={{ start: d.autoStartPct, stop: d.autoStopPct }} />
      <ChartLegend thresholds={{ start: d.autoStartPct, stop: d.autoStopPct }} />
    </article>
  );
}
