// The console's dashboard: who is online, the last hour's sign-ins, the switchboards' traffic, the
// outbox and the nodes of the cluster (core/admin.ts status, the bus, this node's metrics).
import type { FastifyInstance } from 'fastify';
import { loginCounts, SIGN_IN_WINDOW_MS } from '../../core/admin-console.ts';
import type { ServiceStatus } from '../../core/admin.ts';
import type { WebDeps } from '../deps.ts';
import { type Html, html } from '../html.ts';
import { requireAdmin } from './guard.ts';
import { duration, sendConsolePage, when } from './layout.ts';

export function dashboardRoutes(scope: FastifyInstance, deps: WebDeps): void {
  scope.get('/', async (request, reply) => {
    const signedIn = await requireAdmin(deps, request, reply);
    if (!signedIn) return reply;
    const [status, online, logins, failed, relayed] = await Promise.all([
      signedIn.admin.status(),
      deps.bus.routes.onlineCount(),
      loginCounts(deps.bus.tallies),
      signedIn.actions.failedOutbox(),
      relayedHere(deps),
    ]);
    const now = deps.now();
    const figures: [string, string, string | number][] = [
      ['online', 'Signed in now', online],
      ['sign-ins', `Sign-ins in the last ${SIGN_IN_WINDOW_MS / 60_000} min`, logins.signIns],
      ['refused', `Refused logins in the last ${SIGN_IN_WINDOW_MS / 60_000} min`, logins.refused],
      ['switchboards', 'Chats (switchboard sessions) now', status.switchboards],
      ['relayed', 'Messages relayed by this node since it started', relayed ?? 'not measured'],
      ['outbox-waiting', 'Outbox: waiting for delivery', backlogCount(status, 'waiting')],
      ['outbox-given-up', 'Outbox: given up', backlogCount(status, 'given-up')],
      ['outbox-failed', 'Outbox: failed deliveries (retrying or given up)', failed.length],
      ['alerts', 'Alerts not yet delivered', status.backlog?.pendingAlerts ?? 'not measured'],
    ];
    const body = html`<table class="list" id="figures">
${figures.map(([id, label, value]) => html`<tr><th>${label}</th><td id="${id}">${value}</td></tr>`)}
</table>
<h2>Nodes</h2>
${nodesTable(status, now)}
<p class="small">Figures as of ${when(now)}. <a href="/admin/">Refresh</a></p>`;
    return sendConsolePage(reply, 200, 'Dashboard', body, signedIn.view);
  });
}

function backlogCount(status: ServiceStatus, state: 'waiting' | 'given-up'): number | string {
  if (!status.backlog) return 'not measured';
  return status.backlog.outbox.filter((o) => o.state === state).reduce((sum, o) => sum + o.count, 0);
}

function nodesTable(status: ServiceStatus, now: number): Html {
  if (status.nodes.length === 0) return html`<p id="nodes">No node has reported within the last 15 s.</p>`;
  return html`<table class="list" id="nodes">
<tr><th>Node</th><th>Version</th><th>Up</th><th>Bus</th><th>NS</th><th>SB</th><th>Web</th><th>Signed in</th><th>Chats</th></tr>
${status.nodes.map(
  ({ report, signedIn }) =>
    html`<tr><td>${report.id}</td><td>${report.version}</td><td>${duration(now - report.startedAt)}</td><td>${report.bus}</td><td>${report.ns}</td><td>${report.sb}</td><td>${report.web}</td><td>${signedIn}</td><td>${report.switchboards}</td></tr>`,
)}
</table>`;
}

/** `msnd_sb_messages_relayed_total` of this node's metrics, when the server measures. */
async function relayedHere(deps: WebDeps): Promise<number | undefined> {
  if (!deps.metrics) return undefined;
  const text = await deps.metrics.scrape();
  const match = /^msnd_sb_messages_relayed_total(?:\{[^}]*\})? (\d+(?:\.\d+)?(?:e\+?\d+)?)$/m.exec(text);
  return match ? Number(match[1]) : undefined;
}
