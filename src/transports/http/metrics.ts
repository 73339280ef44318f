/**
 * /metrics in the Prometheus text format (prom-client): HTTP requests by route pattern with their latency,
 * HL7 v2 messages by transport and ACK code, the inbox's depth, database pool use, the audit lag, and
 * Node's process metrics. Each server has its own registry (tests run several servers in one process).
 *
 * Who may read it is configured (TONET_METRICS). "local" answers the loopback address without a token: a
 * Prometheus beside the server, or an operator's curl on the host. A request that came through a proxy is
 * not local unless trustProxy says which proxies to believe, because behind a proxy on the same host every
 * caller's socket peer is the loopback address.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TokenService } from '../../auth/tokens';
import type { PoolUsage } from '../../store/db/database';
import { authenticate } from './app';
import { FhirNames, routePattern } from './route-pattern';
import { assertMayStart } from '../../consent/interactions';

export interface MetricsSources {
  pool(): PoolUsage;
  /** Audit entries handed in but not yet chained, and how long the oldest has waited. */
  auditBacklog(): { entries: number; oldestSeconds: number };
  /** Rejected inbox messages waiting for the office (read from the database at each scrape). */
  inboxRejected(): Promise<number>;
  fhirNames: FhirNames;
}

const TRANSPORTS = ['mllp', 'http', 'replay'] as const;
const ACK_CODES = ['AA', 'AE', 'AR', 'CA', 'CE', 'CR'] as const;

export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Histogram<'method' | 'route' | 'status'>;
  private readonly ingested: Counter<'transport' | 'ack'>;

  constructor(private readonly sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Histogram({
      name: 'tonet_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status, with their latency (the _count is the request rate)',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.ingested = new Counter({ name: 'tonet_ingest_messages_total', help: 'HL7 v2 messages answered, by transport and ACK code', labelNames: ['transport', 'ack'], registers });
    // Every series exists from the start, so a rate over a quiet period is 0, not absent.
    for (const transport of TRANSPORTS) for (const ack of ACK_CODES) this.ingested.labels(transport, ack).inc(0);
    new Gauge({
      name: 'tonet_inbox_rejected_messages',
      help: 'Rejected HL7 v2 messages in the inbox, not yet replayed (the dead-letter depth)',
      registers,
      // The one gauge read from the database: while it is unreachable the scrape still answers (NaN here),
      // since that is when the pool and audit gauges matter most.
      async collect() {
        this.set(await sources.inboxRejected().catch(() => Number.NaN));
      },
    });
    new Gauge({
      name: 'tonet_db_pool_connections',
      help: 'Database connections by state (busy: running a statement or transaction; idle: open and free)',
      labelNames: ['state'],
      registers,
      collect() {
        const pool = sources.pool();
        this.labels('busy').set(pool.busy);
        this.labels('idle').set(pool.idle);
      },
    });
    new Gauge({
      name: 'tonet_db_pool_max_connections',
      help: 'The most database connections the pool opens (1 on the embedded database)',
      registers,
      collect() {
        this.set(sources.pool().max);
      },
    });
    new Gauge({
      name: 'tonet_db_pool_waiting',
      help: 'Callers waiting for a database connection',
      registers,
      collect() {
        this.set(sources.pool().waiting);
      },
    });
    new Gauge({
      name: 'tonet_audit_backlog_entries',
      help: 'Audit entries handed in but not yet chained into the audit trail',
      registers,
      collect() {
        this.set(sources.auditBacklog().entries);
      },
    });
    new Gauge({
      name: 'tonet_audit_backlog_oldest_seconds',
      help: 'How long the oldest audit entry not yet chained has waited (0 when none waits): the audit lag',
      registers,
      collect() {
        this.set(sources.auditBacklog().oldestSeconds);
      },
    });
  }

  observeIngest(transport: (typeof TRANSPORTS)[number], ack: (typeof ACK_CODES)[number]): void {
    this.ingested.labels(transport, ack).inc();
  }

  /** Times every request Fastify answers, labelled by its route pattern, never its URL. */
  observeHttp(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      const route = routePattern(request.routeOptions.url, request.url, this.sources.fhirNames);
      this.requests.labels(request.method, route, String(reply.statusCode)).observe(reply.elapsedTime / 1000);
    });
  }
}

/** Who may read /metrics (TONET_METRICS): loopback without a token, an admin token, anyone, or nobody. */
export type MetricsAccess = 'local' | 'admin' | 'open' | 'off';

export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics, access: MetricsAccess, trustsProxy: boolean, tokens: TokenService): void {
  if (access === 'off') return;
  app.get('/metrics', async (request, reply) => {
    const local = access === 'local' && isLoopback(request.ip) && (trustsProxy || !forwarded(request));
    if (access !== 'open' && !local) {
      const ctx = await authenticate(tokens, request);
      assertMayStart(ctx, 'read-metrics');
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}

function isLoopback(address: string): boolean {
  return /^(127\.|::1$|::ffff:127\.)/.test(address);
}

function forwarded(request: FastifyRequest): boolean {
  return request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined;
}
