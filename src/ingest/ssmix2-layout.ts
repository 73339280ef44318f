/**
 * SS-MIX2 standardized storage (標準化ストレージ) layout rules:
 *   <root>/<pid[0:3]>/<pid[3:6]>/<pid>/<診療日 yyyyMMdd | ->/<データ種別>/<file>
 *   file = <患者ID>_<診療日>_<データ種別>_<オーダNo>_<発生日時>_<診療科コード>_<コンディションフラグ>
 * A file that breaks them is refused with the rule it breaks, before anything is sent.
 */
import path from 'node:path';

export interface StorageFile {
  /** Path relative to the storage root, with forward slashes. */
  relativePath: string;
  patientId: string;
  careDate: string;
  dataType: string;
  orderNumber: string;
  /** 発生日時 yyyyMMddHHmmssfff: the order in which versions were written. */
  occurredAt: string;
  department: string;
  /** 1 current, 2 superseded by a later file, 0 deleted. */
  condition: '0' | '1' | '2';
}

const DATA_TYPE = /^(ADT-\d{2}|PPR-01|OMD|OMP-\d{2}|OML-\d{2}|OMG-\d{2})$/;

export function parseStoragePath(relativePath: string): { file?: StorageFile; error?: string } {
  const parts = relativePath.split(/[\\/]/);
  if (parts.length !== 6) return { error: `expected <pid3>/<pid3>/<pid>/<date>/<data type>/<file>, found ${parts.length} levels` };
  const [p1, p2, pid, dateFolder, typeFolder, name] = parts;
  const fields = name.split('_');
  if (fields.length !== 7) return { error: `file name must have 7 "_"-separated parts (pid_date_type_order_time_dept_flag), found ${fields.length}` };
  const [patientId, careDate, dataType, orderNumber, occurredAt, department, condition] = fields;
  if (patientId !== pid) return { error: `file patient id ${patientId} differs from its folder ${pid}` };
  if (p1 !== pid.slice(0, 3) || p2 !== pid.slice(3, 6)) return { error: `folders ${p1}/${p2} do not match patient id ${pid} (expected ${pid.slice(0, 3)}/${pid.slice(3, 6)})` };
  if (careDate !== dateFolder) return { error: `file care date ${careDate} differs from its folder ${dateFolder}` };
  if (careDate !== '-' && !/^\d{8}$/.test(careDate)) return { error: `care date must be yyyyMMdd or "-", found ${careDate}` };
  if (dataType !== typeFolder) return { error: `file data type ${dataType} differs from its folder ${typeFolder}` };
  if (!DATA_TYPE.test(dataType)) return { error: `unknown data type ${dataType}` };
  if (!/^\d{17}$/.test(occurredAt)) return { error: `occurrence time must be 17 digits (yyyyMMddHHmmssfff), found ${occurredAt}` };
  if (condition !== '0' && condition !== '1' && condition !== '2') return { error: `condition flag must be 0, 1 or 2, found ${condition}` };
  return { file: { relativePath: parts.join('/'), patientId, careDate, dataType, orderNumber, occurredAt, department, condition } };
}

/** Older versions first, so a later file always has the last word. */
export function storageOrder(a: StorageFile, b: StorageFile): number {
  return a.occurredAt.localeCompare(b.occurredAt) || a.relativePath.localeCompare(b.relativePath);
}

export function toRelative(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}
