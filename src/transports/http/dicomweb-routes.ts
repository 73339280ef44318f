/**
 * HTTP entry points of DICOMweb:
 *   POST /dicomweb/studies[/{study}]                                   STOW-RS (multipart/related; type="application/dicom")
 *   GET  /dicomweb/studies/{study}[/series/{series}[/instances/{instance}]]             WADO-RS, the instances as multipart/related
 *   GET  …/studies/{study}[/series/{series}[/instances/{instance}]]/metadata              WADO-RS, their metadata as DICOM JSON
 *   GET  …/instances/{instance}/bulkdata/{tag}                                           WADO-RS, one attribute's value (a BulkDataURI)
 *   GET  …/instances/{instance}/frames/{n[,n…]}                                          WADO-RS, frames in the stored transfer syntax
 *   GET  /dicomweb/studies, …/studies/{study}/series, …/series/{series}/instances   QIDO-RS (qido.ts), DICOM JSON
 * Both take a bearer token; errors before any part is looked at (auth, media type) are OperationOutcomes as
 * everywhere else, per-part outcomes are DICOM JSON.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenService } from '../../auth/tokens';
import { badRequest, FhirError, outcome, unsupportedMediaType } from '../../core/errors';
import { authenticate } from './app';
import { buildMultipart, MultipartError, parseMediaType, parseMultipart, streamMultipart } from '../../dicomweb/multipart';
import type { StowService } from '../../dicomweb/stow';
import { stowResponse, stowStatus } from '../../dicomweb/stow-response';
import type { QidoService } from '../../dicomweb/qido';
import { framePartType } from '../../dicomweb/frame-media';
import type { InstanceFile, WadoService } from '../../dicomweb/wado';
import type { InstanceUids } from '../../store/dicom-instances';

const DICOM = 'application/dicom';
const DICOM_JSON = 'application/dicom+json';
const OCTET_STREAM = 'application/octet-stream';

export interface DicomwebRoutes {
  stow: StowService;
  wado: WadoService;
  qido: QidoService;
  tokens: TokenService;
  /** Public base URL of the server; Retrieve URLs are built on it. */
  baseUrl: string;
}

export function registerDicomwebRoutes(app: FastifyInstance, routes: DicomwebRoutes): void {
  const dicomwebBase = `${routes.baseUrl}/dicomweb`;

  const store = async (request: FastifyRequest, targetStudy?: string) => {
    const ctx = await authenticate(routes.tokens, request);
    const files = multipartFiles(String(request.headers['content-type'] ?? ''), request.body);
    const result = await routes.stow.store(ctx, files, targetStudy);
    return { status: stowStatus(result), body: stowResponse(result, dicomwebBase) };
  };

  app.post('/dicomweb/studies', async (request, reply) => {
    const { status, body } = await store(request);
    return reply.status(status).type(DICOM_JSON).send(body);
  });

  app.post('/dicomweb/studies/:study', async (request, reply) => {
    const { study } = request.params as { study: string };
    const { status, body } = await store(request, study);
    return reply.status(status).type(DICOM_JSON).send(body);
  });

  app.get('/dicomweb/studies', async (request, reply) => {
    const ctx = await authenticate(routes.tokens, request);
    return reply.type(DICOM_JSON).send(await routes.qido.studies(ctx, request.query as Record<string, string | undefined>));
  });

  app.get('/dicomweb/studies/:study/series', async (request, reply) => {
    const ctx = await authenticate(routes.tokens, request);
    const { study } = request.params as { study: string };
    return reply.type(DICOM_JSON).send(await routes.qido.series(ctx, study));
  });

  app.get('/dicomweb/studies/:study/series/:series/instances', async (request, reply) => {
    const ctx = await authenticate(routes.tokens, request);
    const { study, series } = request.params as { study: string; series: string };
    return reply.type(DICOM_JSON).send(await routes.qido.instances(ctx, study, series));
  });

  const retrieve = async (request: FastifyRequest, reply: FastifyReply) => {
    const ctx = await authenticate(routes.tokens, request);
    const { instances, files } = await routes.wado.retrieve(ctx, instanceUids(request.params));
    for (const instance of instances) assertAcceptable(String(request.headers.accept ?? ''), instance.transferSyntaxUid);
    const { contentType, body } = streamMultipart(parts(files), DICOM);
    return reply.status(200).header('content-type', contentType).send(body);
  };
  const metadata = async (request: FastifyRequest, reply: FastifyReply) => {
    const ctx = await authenticate(routes.tokens, request);
    return reply.type(DICOM_JSON).send(await routes.wado.metadata(ctx, instanceUids(request.params)));
  };
  for (const level of ['/dicomweb/studies/:study', '/dicomweb/studies/:study/series/:series', '/dicomweb/studies/:study/series/:series/instances/:instance']) {
    app.get(level, retrieve);
    app.get(`${level}/metadata`, metadata);
  }

  app.get('/dicomweb/studies/:study/series/:series/instances/:instance/bulkdata/:tag', async (request, reply) => {
    const ctx = await authenticate(routes.tokens, request);
    const { study, series, instance, tag } = request.params as { study: string; series: string; instance: string; tag: string };
    const found = await routes.wado.bulkData(ctx, { studyInstanceUid: study, seriesInstanceUid: series, sopInstanceUid: instance }, tag);
    const { contentType, body } = buildMultipart([{ contentType: `${OCTET_STREAM}; transfer-syntax=${found.instance.transferSyntaxUid}`, body: found.value }], OCTET_STREAM);
    return reply.status(200).header('content-type', contentType).send(body);
  });

  app.get('/dicomweb/studies/:study/series/:series/instances/:instance/frames/:frames', async (request, reply) => {
    const ctx = await authenticate(routes.tokens, request);
    const { study, series, instance, frames } = request.params as { study: string; series: string; instance: string; frames: string };
    const numbers = frames.split(',').map((number) => (/^[1-9]\d{0,8}$/.test(number.trim()) ? Number(number) : NaN));
    if (numbers.some(Number.isNaN)) throw badRequest(`Frame numbers are positive integers separated by commas, not "${frames}"`);
    const found = await routes.wado.frames(ctx, { studyInstanceUid: study, seriesInstanceUid: series, sopInstanceUid: instance }, numbers);
    const partType = framePartType(String(request.headers.accept ?? ''), found.transferSyntaxUid);
    const { contentType, body } = buildMultipart(found.frames.map((frame) => ({ contentType: partType, body: frame })), partType.split(';')[0]);
    return reply.status(200).header('content-type', contentType).send(body);
  });
}

async function* parts(files: AsyncIterable<InstanceFile>) {
  for await (const { instance, bytes } of files) yield { contentType: `${DICOM}; transfer-syntax=${instance.transferSyntaxUid}`, body: bytes };
}

function instanceUids(params: unknown): InstanceUids {
  const { study, series, instance } = params as { study: string; series?: string; instance?: string };
  return { studyInstanceUid: study, ...(series ? { seriesInstanceUid: series } : {}), ...(instance ? { sopInstanceUid: instance } : {}) };
}

/** The DICOM files of a STOW-RS request body, in order. */
function multipartFiles(contentType: string, body: unknown): Buffer[] {
  const { mediaType, parameters } = parseMediaType(contentType);
  if (mediaType !== 'multipart/related') throw unsupportedMediaType(`STOW-RS takes multipart/related; type="${DICOM}", not "${contentType || 'no Content-Type'}"`);
  if (parameters.type && parameters.type.toLowerCase() !== DICOM) throw unsupportedMediaType(`Only type="${DICOM}" parts are accepted, not "${parameters.type}"`);
  if (!parameters.boundary) throw badRequest('The multipart/related Content-Type has no boundary parameter');
  if (!Buffer.isBuffer(body) || body.length === 0) throw badRequest('The request has no body');
  try {
    const parts = parseMultipart(body, parameters.boundary);
    if (!parts.length) throw badRequest('The multipart body holds no parts');
    return parts.map((part) => part.body);
  } catch (err) {
    if (err instanceof MultipartError) throw badRequest(err.message);
    throw err;
  }
}

/**
 * Stored bytes are served as they are (no transcoding), so an Accept that names another transfer syntax or
 * another media type cannot be honoured.
 */
function assertAcceptable(accept: string, transferSyntaxUid: string): void {
  if (!accept.trim()) return;
  const acceptable = accept.split(',').some((range) => {
    const { mediaType, parameters } = parseMediaType(range);
    if (mediaType === '*/*' || mediaType === 'multipart/*') return true;
    if (mediaType !== 'multipart/related') return false;
    const typeOk = !parameters.type || parameters.type.toLowerCase() === DICOM;
    const syntax = parameters['transfer-syntax'];
    return typeOk && (!syntax || syntax === '*' || syntax === transferSyntaxUid);
  });
  if (!acceptable) {
    throw new FhirError(406, outcome('error', 'not-supported', `The instance is stored as ${DICOM} in transfer syntax ${transferSyntaxUid} and is served only as multipart/related; type="${DICOM}"`));
  }
}
