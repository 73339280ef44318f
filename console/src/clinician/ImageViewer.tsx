/**
 * 画像: an ImagingStudy from the timeline, its series listed from the FHIR resource and each series' images
 * drawn from Tonet's WADO-RS (the same consent as the record; every retrieval is audited).
 */
import { Alert, Button, Group, Slider, Stack, Text } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { useT } from '../i18n';
import { ViewerDialog } from './ViewerDialog';
import { DicomImage, fetchImage } from './dicom-image';
import type { TimelineEntry } from './timeline';

interface ImagingStudy {
  identifier?: { system?: string; value?: string }[];
  description?: string;
  series?: { uid: string; number?: number; description?: string; modality?: { code?: string }; instance?: { uid: string; number?: number }[] }[];
}

export function ImageViewer({ entry, onClose }: { entry: TimelineEntry; onClose: () => void }) {
  const t = useT();
  const study = entry.resource as unknown as ImagingStudy;
  const studyUid = study.identifier?.find((i) => i.system === 'urn:dicom:uid')?.value?.replace(/^urn:oid:/, '');
  const series = (study.series ?? []).filter((s) => s.instance?.length);
  const [seriesIndex, setSeriesIndex] = useState(0);
  const [instanceIndex, setInstanceIndex] = useState(0);
  const [image, setImage] = useState<DicomImage | undefined>();
  const [error, setError] = useState<string | undefined>();
  const canvas = useRef<HTMLCanvasElement>(null);
  const chosen = series[seriesIndex];
  const instances = [...(chosen?.instance ?? [])].sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
  const instance = instances[instanceIndex];

  useEffect(() => {
    if (!studyUid || !chosen || !instance) return;
    let current = true;
    setError(undefined);
    fetchImage({ studyUid, seriesUid: chosen.uid, instanceUid: instance.uid }).then((loaded) => current && setImage(loaded), (err: Error) => current && setError(err.message));
    return () => {
      current = false;
    };
  }, [studyUid, chosen?.uid, instance?.uid]);

  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context || !image || !canvas.current) return;
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
        <Group gap="xs">
          {series.map((s, i) => (
            <Button key={s.uid} size="xs" variant={i === seriesIndex ? 'filled' : 'outline'} aria-pressed={i === seriesIndex} onClick={() => { setSeriesIndex(i); setInstanceIndex(0); }}>
              {s.modality?.code} {s.description ?? `${t('series')} ${s.number ?? i + 1}`} ({s.instance?.length})
            </Button>
          ))}
        </Group>
        {instances.length > 1 && <Slider aria-label={t('imageNumber')} min={0} max={instances.length - 1} value={instanceIndex} onChange={setInstanceIndex} label={(v) => `${v + 1} / ${instances.length}`} />}
        {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
        {!series.length && <Text c="gray.7">{t('noImages')}</Text>}
        <canvas ref={canvas} role="img" aria-label={`${entry.title} ${instanceIndex + 1}/${instances.length}`} data-loaded={image ? 'true' : 'false'} style={{ maxWidth: '100%', background: '#000' }} />
      </Stack>
    </ViewerDialog>
  );
}
