/**
 * The composition root: the only place that builds the database, repository, access policy, routers and
 * listeners and wires them together. Everything else receives what it needs.
 */
import type { FastifyInstance } from 'fastify';
// Imported (not read at run time) so that tsc copies it beside the compiled server.
import packageJson from '../package.json';
import type { GraphQLSchema } from 'graphql';
import { registerAccountRoutes } from './transports/http/auth/account-routes';
import { systemActor } from './core/context';
import { registerAppRoutes } from './transports/http/auth/app-routes';
import { registerLaunchRoutes } from './transports/http/auth/launch-routes';
import { registerSelfRegistration } from './transports/http/auth/self-registration';
import { AccountStore } from './auth/accounts';
import { AccountAdministration } from './auth/account-administration';
import { AppRegistration } from './auth/app-registration';
import { ClientAdministration } from './auth/client-administration';
import { ClientCredentials } from './auth/client-credentials';
import { Logins } from './auth/logins';
import { LaunchOpener } from './auth/oidc/launch-opener';
import { ResidentRegistration } from './auth/self-registration';
import { facilitiesFromRoles } from './auth/practitioner-roles';
import { registerClientRoutes } from './transports/http/auth/client-routes';
import { ClientStore, newSecret } from './auth/clients';
import { registerLoginPages } from './transports/http/oidc/interactions';
import { mountOidc } from './transports/http/oidc/mount';
import { registerPasskeyAssets } from './transports/http/oidc/passkey-pages';
import { createOidcProvider } from './auth/oidc/provider';
import { Passkeys } from './auth/passkeys';
import { registerAuthRoutes } from './transports/http/auth/token-routes';
import { TokenService } from './auth/tokens';
import type { Config } from './config';
import { auditEventType } from './fhir/audit-events';
import { AuditLog } from './audit/log';
import { auditVerifyOperation } from './fhir/audit-verify-operation';
import { verifyAuditChain } from './audit/verify';
import { AuditChain } from './store/audit-log';
import { bookingLedger } from './booking/ledger';
import { BookingLedger } from './store/booking-ledger';
import { PathwayLedger } from './store/pathway-ledger';
import { bookingOperations } from './booking/operations';
import { BookingService } from './booking/service';
import { AccessPolicy } from './consent/access';
import { linkCardOperation } from './consent-workflows/card-link';
import { disclosureOperation } from './consent-workflows/disclosure';
import { DisclosureRecords } from './store/read-models/disclosure';
import { emergencySummaryOperation } from './consent-workflows/emergency';
import { enrollOperation, newCardSecretOperation, withdrawOperation } from './consent-workflows/enrolment';
import { maintainConsentIndex } from './consent/grants';
import { Database } from './store/db/database';
import { openDatabase } from './store/db/open';
import { OidcPayloads } from './store/oidc-payloads';
import { AuthClients } from './store/clients';
import { GuessAttempts } from './store/guess-attempts';
import { PersonAccounts, PersonPasskeys } from './store/people';
import { ServerSettings } from './store/server-settings';
import { pendingMigrations } from './store/schema-status';
import { InboxMessages } from './store/inbox';
import { registerDicomwebRoutes } from './transports/http/dicomweb-routes';
import { StowService } from './dicomweb/stow';
import { QidoService } from './dicomweb/qido';
import { WadoService } from './dicomweb/wado';
import { DicomInstances } from './store/dicom-instances';
import { processBundle } from './fhir/bundle';
import { isKnownResourceType, loadDefinitions } from './core/definitions';
import { PlannerStatistics } from './store/statistics';
import { everythingOperation } from './fhir/everything';
import { registerFhirRoutes } from './transports/http/fhir-routes';
import { Repository } from './fhir/repository';
import { ResourceTable } from './store/resource-table';
import { connectionTo } from './store/connection';
import { FhirRouter, parseQuery } from './fhir/router';
import { createFhirGraphQLContext } from './transports/graphql/fhir/context';
import { graphqlOperation } from './transports/graphql/fhir/operation';
import { buildFhirGraphQLSchema } from './transports/graphql/fhir/schema';
import { registerGraphql } from './transports/graphql/server';
import { createHttpApp } from './transports/http/app';
import { consoleBuildDir, registerConsole } from './transports/http/console';
import { registerCors } from './transports/http/cors';
import { Metrics, registerMetricsRoute } from './transports/http/metrics';
import { registerHealthRoutes } from './transports/http/health';
import { importCdaOperation } from './ingest/cda';
import { importOperation } from './ingest/bulk-import';
import { FacilityDirectory } from './ingest/facility';
import { startMllpServer, MllpServer } from './transports/mllp/listener';
import { Hl7Ingest } from './ingest/pipeline';
import { InboxWorker } from './ingest/worker';
import { InboxQueue } from './store/inbox-queue';
import { registerIngestRoutes } from './transports/http/ingest-routes';
import { createLogger, Logger } from './core/logger';
import { ChangeFeed } from './notify/changes';
import { ChangeChannel, ChangeNotifier } from './store/changes';
import { pathwayAlerts } from './pathway/alerts';
import { loadPathways } from './pathway/catalogue';
import { applyOperation } from './pathway/enrolment';
import { acknowledgeOperation } from './pathway/flags';
import { checkOverdueOperation, scheduleDailySweep } from './pathway/overdue';
import { PathwayReports } from './pathway/reports';
import { LabTrends } from './records/lab-trend';
import { LabObservations } from './store/read-models/lab-observations';
import { PathwayActivities } from './store/read-models/pathway-reports';
import { ChangedResources } from './store/read-models/changed-resources';
import { ResidentRecords } from './records/resident';
import { Timeline, TIMELINE_RULES } from './records/timeline';
import { TimelineEntries } from './store/read-models/timeline';
import { CohortStatisticsService } from './research/cohort';
import { CohortCells, ResearchReleases } from './store/read-models/cohort';

export const VERSION: string = packageJson.version;

export interface Tonet {
  config: Config;
  logger: Logger;
  db: Database;
  http: FastifyInstance;
  repo: Repository;
  router: FhirRouter;
  clients: ClientStore;
  accounts: AccountStore;
  tokens: TokenService;
  ingest: Hl7Ingest;
  audit: AuditLog;
  /** Opens the HTTP and MLLP ports (port 0 = any free port) and returns what was bound. */
  listen(): Promise<{ httpPort: number; mllpPort: number }>;
  /** The bootstrap admin credentials when they were generated at this start (printed once). */
  generatedAdmin?: { clientId: string; clientSecret: string };
  close(): Promise<void>;
}

export async function buildServer(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<Tonet> {
  loadDefinitions();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, embeddedTemplate: config.embeddedTemplate });
  const applied = await db.migrate();
  if (applied.length) logger.info({ applied }, 'migrations applied');

  const access = new AccessPolicy();
  // The booking ledger writes Slots through the repository of the transaction it runs in, and its rows on that repository's connection.
  const ledgerIn = (on: Repository) => new BookingLedger(on.connection);
  const pathwayLedgerIn = (on: Repository) => new PathwayLedger(on.connection);
  const timelineEntries = new TimelineEntries(db, TIMELINE_RULES);
  const notifier = new ChangeNotifier(db, logger);
  const statistics = new PlannerStatistics(db, logger);
  const hooks = [maintainConsentIndex, timelineEntries.hook, bookingLedger((tx) => repo.withConnection(tx), ledgerIn), pathwayAlerts(() => repo, pathwayLedgerIn), notifier.hook, statistics.hook];
  const repo: Repository = new Repository(new ResourceTable(db, hooks), access, true, `${config.baseUrl}/fhir`);
  const timeline = new Timeline(timelineEntries, access);
  if (await timelineEntries.ensureFilled()) logger.info('timeline read model filled from the stored resources');
  const clients = new ClientStore(new AuthClients(db), new GuessAttempts(connectionTo(db), 'client-secret'));
  const tokens = await TokenService.create(new ServerSettings(db), config.signingKey, `${config.baseUrl}/oidc`, config.tokenLifetimeSeconds);
  tokens.checkClientsWith((clientId, generation) => clients.stands(clientId, generation));
  const stopClientListener = await clients.listenForChanges((err) => logger.error({ err }, 'LISTEN for client changes failed; client checks go to the database'));
  const generatedAdmin = await bootstrapAdmin(clients, config, logger);

  const fhirBase = `${config.baseUrl}/fhir`;
  const router = new FhirRouter(repo, fhirBase, processBundle);
  router.registerOperation(everythingOperation);
  // Generating the FHIR GraphQL schema takes seconds, so it is built at the first $graphql request, once.
  let fhirGraphQLSchema: GraphQLSchema | undefined;
  router.registerOperation(graphqlOperation(() => (fhirGraphQLSchema ??= buildFhirGraphQLSchema())));

  const audit = new AuditLog(connectionTo(db));
  router.registerType(auditEventType(connectionTo(db), access));
  router.registerOperation(auditVerifyOperation(() => verifyAuditChain(new AuditChain(db))));
  const facilities = new FacilityDirectory(repo);
  router.registerOperation(importCdaOperation(facilities));
  router.registerOperation(importOperation(audit));
  for (const operation of [enrollOperation, withdrawOperation, newCardSecretOperation, linkCardOperation(facilities, audit), emergencySummaryOperation(audit), disclosureOperation(audit, new DisclosureRecords(db))]) {
    router.registerOperation(operation);
  }
  for (const operation of [applyOperation(pathwayLedgerIn), checkOverdueOperation(pathwayLedgerIn), acknowledgeOperation(audit)]) router.registerOperation(operation);
  await loadPathways(repo);
  const booking = new BookingService(access, audit, ledgerIn);
  for (const operation of bookingOperations(booking)) router.registerOperation(operation);
  const operationNames = new Set(router.operationList().map((operation) => operation.name));
  const inbox = new InboxMessages(db);
  const metrics = new Metrics({
    pool: () => db.poolUsage(),
    auditBacklog: () => audit.backlog(),
    inboxRejected: () => inbox.rejectedCount(),
    fhirNames: { isResourceType: isKnownResourceType, isOperation: (name) => operationNames.has(name) },
  });
  const inboxQueue = new InboxQueue(db);
  const ingest = new Hl7Ingest(inbox, inboxQueue, router, tokens, facilities, audit, logger, (transport, code) => metrics.observeIngest(transport, code));

  const http = createHttpApp({ logger, bodyLimit: config.bodyLimit, tokens, audit, trustProxy: config.trustProxy });
  metrics.observeHttp(http);
  await registerCors(http, config.corsOrigins);
  registerMetricsRoute(http, metrics, config.metrics, config.trustProxy !== false, tokens);
  registerAuthRoutes(http, new ClientCredentials(clients, audit), tokens);
  registerClientRoutes(http, tokens, new ClientAdministration(clients, audit));
  const accounts = new AccountStore(new PersonAccounts(db));
  const oidc = createOidcProvider(new OidcPayloads(db), accounts, tokens, {
    baseUrl: config.baseUrl,
    sessionIdleSeconds: config.sessionIdleSeconds,
    sessionAbsoluteSeconds: config.sessionAbsoluteSeconds,
    accessTokenSeconds: Math.min(config.tokenLifetimeSeconds, config.sessionIdleSeconds),
  });
  mountOidc(http, oidc.provider);
  const passkeys = new Passkeys(new PersonPasskeys(db), config.baseUrl);
  registerLoginPages(http, {
    provider: oidc.provider,
    accounts,
    passkeys,
    facilities: oidc.facilities,
    launches: oidc.launches,
    logins: new Logins(accounts, passkeys, audit),
    sessionSeconds: config.sessionAbsoluteSeconds,
    facilityName: async (organization) => ((await repo.read(systemActor('login-facility-name'), 'Organization', organization.replace(/^Organization\//, '')).catch(() => undefined)) as { name?: string } | undefined)?.name,
  });
  registerLaunchRoutes(http, tokens, new LaunchOpener(oidc.launches, audit, (ctx, id) => repo.read(ctx, 'Patient', id)), fhirBase);
  registerPasskeyAssets(http);
  const accountAdministration = new AccountAdministration(accounts, audit, oidc.revokeAccount, async (practitioner) => {
    const roles = await repo.search(systemActor('practitioner-facilities'), parseQuery('PractitionerRole', { practitioner, _count: '100' }));
    return facilitiesFromRoles(roles.matches.map((m) => JSON.parse(m.content)));
  });
  registerAccountRoutes(http, tokens, accountAdministration);
  registerAppRoutes(http, tokens, new AppRegistration(oidc.apps, audit, (input) => clients.validate(input)));
  registerSelfRegistration(http, new ResidentRegistration(repo, accounts, new GuessAttempts(connectionTo(db), 'card-link'), audit));
  registerFhirRoutes(http, router, tokens, config.baseUrl, VERSION, audit);
  registerIngestRoutes(http, ingest, inbox, tokens, audit);
  // Enhanced mode's messages are mapped by this process's worker: two lanes on a 2-core PostgreSQL, one on the embedded database's one connection.
  const inboxWorker = new InboxWorker(ingest, inboxQueue, logger, db.kind === 'pglite' ? 1 : 2);
  const dicomInstances = new DicomInstances(db);
  registerDicomwebRoutes(http, { stow: new StowService(router, facilities, audit, logger), wado: new WadoService(dicomInstances, access, audit, `${config.baseUrl}/dicomweb`), qido: new QidoService(repo, dicomInstances, audit, `${config.baseUrl}/dicomweb`), tokens, baseUrl: config.baseUrl });
  await registerConsole(http, consoleBuildDir());
  registerHealthRoutes(http, () => pendingMigrations(db));

  const changes = new ChangeFeed(logger);
  await changes.start(new ChangeChannel(db));
  const graphql = registerGraphql({
    app: http,
    tokens,
    logger,
    services: {
      repo,
      router,
      access,
      audit,
      changes,
      timeline,
      labTrends: new LabTrends(new LabObservations(db), access),
      changedResources: new ChangedResources(db),
      cohort: new CohortStatisticsService(new CohortCells(db), new ResearchReleases(db), audit),
      residents: new ResidentRecords(router),
      pathways: new PathwayReports(new PathwayActivities(db), access),
      booking,
    },
    schemas: () => [(fhirGraphQLSchema ??= buildFhirGraphQLSchema())],
    extraContext: (ctx) => ({ ...createFhirGraphQLContext(ctx, repo, fhirBase) }),
  });

  const stopSweep = scheduleDailySweep(repo, pathwayLedgerIn, logger);
  let mllp: MllpServer | undefined;

  return {
    config,
    logger,
    db,
    http,
    repo,
    router,
    clients,
    accounts,
    tokens,
    ingest,
    audit,
    generatedAdmin,
    async listen() {
      await http.listen({ port: config.port, host: config.host });
      await inboxWorker.start();
      mllp = await startMllpServer(ingest, config.mllpPort, config.host, logger, config.mllp);
      const address = http.server.address();
      return { httpPort: typeof address === 'object' && address ? address.port : config.port, mllpPort: mllp.port };
    },
    async close() {
      stopSweep();
      await mllp?.close();
      await inboxWorker.stop();
      await graphql.stop();
      await changes.stop();
      await stopClientListener();
      await http.close();
      await db.close();
    },
  };
}

/**
 * The administrator named by TONET_ADMIN_CLIENT_ID/SECRET is created or updated at every start; without them,
 * a first start generates one and prints its secret once (it is stored only hashed).
 */
async function bootstrapAdmin(clients: ClientStore, config: Config, logger: Logger): Promise<{ clientId: string; clientSecret: string } | undefined> {
  if (config.adminClientId && config.adminClientSecret) {
    await clients.upsert({ name: 'Administrator', role: 'admin' }, config.adminClientId, config.adminClientSecret);
    return undefined;
  }
  if ((await clients.countByRole('admin')) > 0) return undefined;
  const created = await clients.create({ name: 'Administrator', role: 'admin' }, 'admin', newSecret());
  logger.warn({ clientId: created.clientId }, 'generated an administrator client; its secret is printed once on stderr');
  return created;
}
