import { createHash } from 'node:crypto';
import { getRxReplicationMetaInstanceSchema, type RxDocumentData, type RxJsonSchema } from 'rxdb';
import { collectionTableOf, type CollectionTable } from './collection-table';
import { PULLED_MARK, PULLED_REV, type PulledMark } from './pulled-mark';

/**
 * Replication metadata that is not stored twice.
 *
 * RxDB's replication keeps, for every synced document, the state it assumes the server holds (the
 * "assumed master state") in a meta collection of its own: a second full copy of each document.
 * A document filled into the replica straight from the server (`ReplicaFill`) *is* that state
 * until something else writes it. So its meta row is not written: the meta table answers for it
 * from the document itself while the document still carries the mark of its fill, and the row is
 * copied into the meta table just before the document is first overwritten (copy on write).
 *
 * A link ties a fork table (the collection) to the meta table of one replication of it; the mark
 * names the link and the revision the fill gave the document. Any later write gives the document
 * a new revision, so the mark stops matching by itself.
 */

export interface PulledLink {
  readonly link: number;
  readonly metaTable: string;
  readonly forkTable: string;
  /** The field of the fork's documents that holds their id. */
  readonly forkPrimaryPath: string;
}

const LINK_COLUMNS =
  'link, meta_table AS metaTable, fork_table AS forkTable, fork_primary_path AS forkPrimaryPath';
/** The link of a meta table (`PulledLink`), if a fill made one. */
export const LINK_OF_META_TABLE_SQL = `SELECT ${LINK_COLUMNS} FROM replica_pulled_links WHERE meta_table = ?`;
/** The links of a fork table (one per replication a fill prepared). */
export const LINKS_OF_FORK_TABLE_SQL = `SELECT ${LINK_COLUMNS} FROM replica_pulled_links WHERE fork_table = ?`;

/** The suffix RxDB's meta schema composes a document's meta id with (`itemId|isCheckpoint`). */
const DOC_META_SUFFIX = '|0';

export const metaIdOf = (docId: string): string => `${docId}${DOC_META_SUFFIX}`;

/** The document id of a per-document meta id; undefined for checkpoint rows. */
export function docIdOfMetaId(metaId: string): string | undefined {
  return metaId.endsWith(DOC_META_SUFFIX) ? metaId.slice(0, -DOC_META_SUFFIX.length) : undefined;
}

/** Whether the document is, unchanged, the state its fill wrote under this link. */
export function isPulledState(doc: RxDocumentData<unknown>, link: number): boolean {
  const mark = (doc._meta as Record<string, unknown>)[PULLED_MARK] as PulledMark | undefined;
  return mark !== undefined && mark.link === link && mark.rev === doc._rev;
}

/**
 * The meta row RxDB would have written for a filled document: the document's state without the
 * storage's own fields, as RxDB's `writeDocToDocState` strips them.
 */
export function pulledMetaDoc(doc: RxDocumentData<unknown>, docId: string): RxDocumentData<unknown> {
  const state: Record<string, unknown> = { ...(doc as unknown as Record<string, unknown>) };
  delete state._meta;
  delete state._rev;
  delete state._attachments;
  return {
    id: metaIdOf(docId),
    isCheckpoint: '0',
    itemId: docId,
    docData: state,
    _deleted: false,
    _rev: PULLED_REV,
    _meta: { lwt: doc._meta.lwt },
    _attachments: {},
  } as RxDocumentData<unknown>;
}

/**
 * The collection name RxDB gives the meta collection of `replicateRxCollection` (with the
 * database's default hash function, sha256 hex): `rx-replication-meta-` + hash of
 * `<collection>-<replicationIdentifier>`.
 */
export function replicationMetaCollectionName(collectionName: string, replicationIdentifier: string): string {
  const digest = createHash('sha256').update(`${collectionName}-${replicationIdentifier}`).digest('hex');
  return `rx-replication-meta-${digest}`;
}

/** RxDB's meta schema for a collection's replication (no encryption plugin here). */
export function replicationMetaSchema<RxDocType>(
  forkSchema: RxJsonSchema<RxDocumentData<RxDocType>>,
): RxJsonSchema<RxDocumentData<unknown>> {
  return getRxReplicationMetaInstanceSchema(
    forkSchema as RxJsonSchema<RxDocumentData<unknown>>,
    false,
  ) as RxJsonSchema<RxDocumentData<unknown>>;
}

/** The meta table of a link, with the key columns of RxDB's meta schema for that fork schema. */
export function metaTableOf<RxDocType>(
  link: PulledLink,
  forkSchema: RxJsonSchema<RxDocumentData<RxDocType>>,
): CollectionTable<unknown> {
  return collectionTableOf(link.metaTable, replicationMetaSchema(forkSchema));
}

/** The fork table of a link, as far as reading its documents goes (no key columns). */
export function forkTableOf(link: PulledLink): CollectionTable<unknown> {
  return { name: link.forkTable, columns: [], primaryPath: link.forkPrimaryPath };
}
