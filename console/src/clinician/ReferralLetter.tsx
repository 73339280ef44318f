/**
 * 診療情報提供書: a referral letter from the timeline, as the CDA's own narrative (what the sending doctor
 * wrote) and as the FHIR document Tonet made of it (Composition sections and the Bundle as JSON).
 */
import { Alert, Code, Stack, Table, Tabs, Text, Title } from '@mantine/core';
import { createElement, ReactNode, useEffect, useState } from 'react';
import { fhir } from '../api/client';
import { useT } from '../i18n';
import { ViewerDialog } from './ViewerDialog';
import { CdaLetter, NarrativeNode, parseCda } from './cda';
import type { TimelineEntry } from './timeline';

interface DocumentReference {
  content?: { attachment?: { contentType?: string; data?: string } }[];
  context?: { related?: { reference?: string }[] };
}

interface DocumentBundle {
  resourceType: 'Bundle';
  entry?: { resource?: { resourceType: string; title?: string; section?: { title?: string; text?: { div?: string } }[] } }[];
}

export function ReferralLetter({ entry, onClose }: { entry: TimelineEntry; onClose: () => void }) {
  const t = useT();
  const [letter, setLetter] = useState<CdaLetter | undefined>();
  const [bundle, setBundle] = useState<DocumentBundle | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    let current = true;
    (async () => {
      const reference = await fhir<DocumentReference>(`DocumentReference/${encodeURIComponent(entry.resource.id)}`);
      const cda = reference.content?.find((c) => c.attachment?.data && c.attachment.contentType?.includes('xml'))?.attachment?.data;
      if (cda && current) setLetter(parseCda(utf8(cda)));
      const related = reference.context?.related?.find((r) => r.reference?.startsWith('Bundle/'))?.reference;
      if (related) {
        const document = await fhir<DocumentBundle>(related);
        if (current) setBundle(document);
      }
    })().catch((err: Error) => current && setError(err.message));
    return () => {
      current = false;
    };
  }, [entry.resource.id]);

  const composition = bundle?.entry?.find((e) => e.resource?.resourceType === 'Composition')?.resource;
  return (
    <ViewerDialog title={entry.title} onClose={onClose}>
      {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
      <Text size="sm" mb="sm">{t('sourceFacility')}: {entry.sourceFacility}</Text>
      <Tabs defaultValue="cda">
        <Tabs.List>
          <Tabs.Tab value="cda">{t('letterNarrative')}</Tabs.Tab>
          <Tabs.Tab value="fhir">{t('fhirDocument')}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="cda" pt="md" data-testid="cda-narrative">
          {letter ? (
            <Stack>
              <Title order={3}>{letter.title}</Title>
              {letter.sections.map((section, i) => (
                <Stack key={i} gap={4} component="section" aria-label={section.title}>
                  <Title order={4}>{section.title}</Title>
                  {section.narrative.map((node, j) => <Narrative key={j} node={node} />)}
                </Stack>
              ))}
            </Stack>
          ) : (
            <Text c="gray.7">{t('loading')}</Text>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="fhir" pt="md" data-testid="fhir-document">
          {composition && (
            <Stack mb="md">
              <Title order={3}>{composition.title}</Title>
              {composition.section?.map((s, i) => (
                <Text key={i} size="sm"><strong>{s.title}</strong>: {textOf(s.text?.div)}</Text>
              ))}
            </Stack>
          )}
          {bundle && <Code block aria-label={t('fhirDocument')} style={{ maxHeight: 400, overflow: 'auto' }}>{JSON.stringify(bundle, null, 2)}</Code>}
        </Tabs.Panel>
      </Tabs>
    </ViewerDialog>
  );
}

function Narrative({ node }: { node: NarrativeNode }): ReactNode {
  if (!node.tag) return node.text;
  const children = node.children?.map((child, i) => <Narrative key={i} node={child} />);
  if (node.tag === 'table') return <Table withTableBorder>{children}</Table>;
  if (node.tag === 'br') return <br />;
  return createElement(node.tag, node.colSpan ? { colSpan: node.colSpan } : {}, ...(children ?? []));
}

/** The text of a Composition section's XHTML, never inserted as markup. */
function textOf(div?: string): string {
  return div ? (new DOMParser().parseFromString(div, 'text/html').body.textContent ?? '').trim() : '';
}

function utf8(base64: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
}
