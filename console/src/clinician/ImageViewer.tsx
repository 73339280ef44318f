/**
 * 画像: an ImagingStudy from the timeline, opened the way a DICOMweb viewer opens a study: its series listed by
 * QIDO-RS, each series' images from its WADO-RS metadata and their pixels from WADO-RS frames, every frame of
 * a multi-frame image one step of the slider (the same consent as the record; every search and retrieval is
 * audited).
 */
import { Alert, Button, Group, Loader, Slider, Stack, Text } from '@mantine/core';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useT } from '../i18n';
import { ViewerDialog } from './ViewerDialog';
import { DicomImage, fetchFrame, fetchSeries, fetchSeriesImages, FrameNotDrawn, SeriesImage, SeriesSummary } from './dicom-image';
import type { TimelineEntry } from './timeline';

interface ImagingStudy {
  identifier?: { system?: string; value?: string }[];
}

export function ImageViewer({ entry, onClose }: { entry: TimelineEntry; onClose: () => void }) {
  const t = useT();
  const study = entry.resource as unknown as ImagingStudy;
  const studyUid = study.identifier?.find((i) => i.system === 'urn:dicom:uid')?.value?.replace(/^urn:oid:/, '');
  const [series, setSeries] = useState<SeriesSummary[] | undefined>();
  const [seriesIndex, setSeriesIndex] = useState(0);
  const [images, setImages] = useState<SeriesImage[]>([]);
  const [position, setPosition] = useState(0);
  const [image, setImage] = useState<DicomImage | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [notDrawn, setNotDrawn] = useState<FrameNotDrawn | undefined>();
  const canvas = useRef<HTMLCanvasElement>(null);
  const chosen = series?.[seriesIndex];
  // Every frame of every image of the series, in order: the slider's steps.
  const frames = useMemo(() => images.flatMap((image) => Array.from({ length: image.frames }, (_, index) => ({ image, frame: index + 1 }))), [images]);
  const shown = frames[position];

  useEffect(() => {
    if (!studyUid) {
      setSeries([]);
      return;
    }
    let current = true;
    fetchSeries(studyUid).then((found) => current && setSeries(found.filter((s) => s.instanceCount > 0)), (err: Error) => current && (setSeries([]), setError(err.message)));
    return () => {
      current = false;
    };
  }, [studyUid]);

  useEffect(() => {
    if (!studyUid || !chosen) return;
    let current = true;
    setImages([]);
    setImage(undefined);
    setError(undefined);
    fetchSeriesImages(studyUid, chosen.uid).then((found) => current && setImages(found), (err: Error) => current && setError(err.message));
    return () => {
      current = false;
    };
  }, [studyUid, chosen?.uid]);

  useEffect(() => {
    if (!shown) return;
    let current = true;
    setError(undefined);
    setNotDrawn(undefined);
    setImage(undefined);
    fetchFrame(shown.image, shown.frame).then(
      (loaded) => current && setImage(loaded),
      (err: Error) => current && (err instanceof FrameNotDrawn ? setNotDrawn(err) : setError(err.message))
    );
    return () => {
      current = false;
    };
  }, [shown?.image.uid, shown?.frame]);

  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context || !canvas.current) return;
    // A frame that is not drawn leaves no earlier frame behind it.
    if (!image) {
      context.clearRect(0, 0, canvas.current.width, canvas.current.height);
      return;
    }
    canvas.current.width = image.columns;
    canvas.current.height = image.rows;
    const rgba = context.createImageData(image.columns, image.rows);
    image.grey.forEach((grey, i) => rgba.data.set([grey, grey, grey, 255], i * 4));
    context.putImageData(rgba, 0, 0);
  }, [image]);

  return (
    <ViewerDialog title={entry.title} onClose={onClose}>
      <Stack data-testid="image-viewer">
        <Text size="sm">{t('sourceFacility')}: {entry.sourceFacility}</Text>
        {!series && <Loader size="sm" aria-label={t('loading')} />}
        <Group gap="xs">
          {series?.map((s, i) => (
            <Button key={s.uid} size="xs" variant={i === seriesIndex ? 'filled' : 'outline'} aria-pressed={i === seriesIndex} onClick={() => { setSeriesIndex(i); setPosition(0); }}>
              {s.modality} {s.description ?? `${t('series')} ${s.number ?? i + 1}`} ({s.instanceCount})
            </Button>
          ))}
        </Group>
        {frames.length > 1 && <Slider thumbLabel={t('imageNumber')} min={0} max={frames.length - 1} value={position} onChange={setPosition} label={(v) => `${v + 1} / ${frames.length}`} />}
        {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
        {notDrawn && <Alert color="gray" title={t('frameNotDrawn')} role="status">{t(notDrawn.reason)} ({notDrawn.transferSyntax})</Alert>}
        {series?.length === 0 && <Text c="gray.7">{t('noImages')}</Text>}
        <canvas ref={canvas} role="img" aria-label={`${entry.title} ${position + 1}/${frames.length}`} data-loaded={image ? 'true' : 'false'} style={{ maxWidth: '100%', background: '#000' }} />
      </Stack>
    </ViewerDialog>
  );
}
