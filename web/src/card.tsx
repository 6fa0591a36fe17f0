// One device in the grid: tank, readings, pump and platform state, the app's
// on/off switch, and a small chart.
import type { DeviceSummary, Store } from "./store.js";
import { Tank } from "./tank.js";
import { Chart } from "./chart.js";
import { fmtAgo, fmtNum } from "./format.js";

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

export function RefusalBadge({ d }: { d: DeviceSummary }) {
  if (d.refusals === 0) return null;
  return (
    <Badge kind={d.refusalActive ? "bad" : "muted"} title={`${d.refusals} pump request(s) refused by the pump rules so far`}>
      refused: {d.lastRefusal}
    </Badge>
  );
}

export function Card({ store, d }: { store: Store; d: DeviceSummary }) {
  const s = store.samples.get(d.uid);
  const p = d.platform;
  const mismatch = p !== null && (p.cmd === "on") !== d.relayOn;
  const err = store.errors.get(d.uid);
  return (
    <article class={`card${d.online ? "" : " offline"}${store.detailUid === d.uid ? " open" : ""}`} data-uid={d.uid} data-relay={d.relayOn ? "on" : "off"} data-online={String(d.online)}>
      <header>
        <button type="button" class="title" onClick={() => store.openDetail(store.detailUid === d.uid ? null : d.uid)} title="Message log and platform view">
          <strong>{d.name}</strong> <span class="uid">{d.uid}</span>
        </button>
        <Badge kind={d.online ? "good" : "bad"} title={`MQTT ${d.connState}`}>{d.online ? "online" : d.connState.toLowerCase().replace(/_/g, " ")}</Badge>
      </header>
      <div class="card-body">
        <Tank d={d} />
        <dl class="facts">
          <dt>Level</dt>
          <dd class="level" data-field="level">{fmtNum(d.levelPct, 0, "%")}<small> true {d.trueLevelPct.toFixed(1)} %</small></dd>
          <dt>Volume</dt>
          <dd>{d.volumeL.toFixed(0)} / {d.capacityL.toFixed(0)} L</dd>
          <dt>Temp.</dt>
          <dd data-field="temperature">{fmtNum(d.temperatureC, 1, "°C")}</dd>
          <dt>Reading</dt>
          <dd><Badge kind={d.quality === "OK" ? "good" : "warn"}>{d.quality}</Badge></dd>
          <dt>Pump</dt>
          <dd data-field="relay"><Badge kind={d.relayOn ? "on" : "muted"}>{d.relayOn ? "ON" : "OFF"}</Badge>{d.auto && <small> auto {d.autoStartPct}–{d.autoStopPct} %</small>}</dd>
          <dt>App</dt>
          <dd data-field="platform-cmd">
            {p ? <Badge kind={mismatch ? "warn" : "muted"} title={mismatch ? "the platform's switch state differs from the relay (converging, or refused)" : "the platform's switch state"}>{p.cmd.toUpperCase()}</Badge> : "no platform"}
            {p && <small> {p.connected ? "connected" : "disconnected"}{p.lastSeenMs !== null ? `, ${fmtAgo(d.timeMs - p.lastSeenMs)}` : ""}</small>}
          </dd>
        </dl>
      </div>
      <div class="card-actions">
        <OnOff store={store} d={d} />
        <RefusalBadge d={d} />
        {err && <span class="error">{err}</span>}
      </div>
      <Chart samples={s?.data} version={s?.version ?? 0} height={110} thresholds={{ start: d.autoStartPct, stop: d.autoStopPct }} />
    </article>
  );
}
