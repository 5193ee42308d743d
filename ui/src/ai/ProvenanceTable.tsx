import type { ArgumentProvenance, EntityTypeDef } from '@enclave/shared';
import { Icon } from '../Icon';
import { AiLink, type AiLinks } from './links';
import { ARGUMENT_SOURCE_WORDS, argumentLabel } from './words';

/** The server writes an audit event it read as `event:<id>` among the records. */
const EVENT_PREFIX = 'event:';

/**
 * Where each argument of a proposed operation came from, as the server traced it (never the
 * model): the request, the record asked about, others' record text, or nowhere. Sensitive
 * arguments — recipients, amounts, statuses, deletion targets — are marked; one of them from
 * record text is what a prompt injection looks like.
 */
export function ProvenanceTable({
  provenance,
  entity,
  links = {},
  testId = 'ai-provenance',
}: {
  provenance: readonly ArgumentProvenance[];
  entity?: EntityTypeDef;
  links?: AiLinks;
  testId?: string;
}) {
  if (provenance.length === 0) return null;
  return (
    <table className="ai-provenance" data-testid={testId}>
      <caption className="visually-hidden">Where each value came from</caption>
      <thead>
        <tr>
          <th scope="col">Value</th>
          <th scope="col">Came from</th>
        </tr>
      </thead>
      <tbody>
        {provenance.map((item) => {
          const source = ARGUMENT_SOURCE_WORDS[item.source];
          const risky = item.sensitive && (item.source === 'recordText' || item.source === 'model');
          return (
            <tr
              key={item.path}
              data-path={item.path}
              data-source={item.source}
              data-sensitive={String(item.sensitive)}
              className={risky ? 'ai-provenance-risky' : undefined}
            >
              <th scope="row">
                {argumentLabel(item.path, entity)}
                {item.sensitive && (
                  <span
                    className="badge ai-sensitive"
                    title="Sensitive: never runs on its own unless it came from the request"
                  >
                    Sensitive
                  </span>
                )}
              </th>
              <td>
                <span className={`ai-source ai-source-${item.source}`} title={source.explanation}>
                  {risky && <Icon name="alert" size={12} />}
                  {source.label}
                </span>
                {item.recordIds.length > 0 && (
                  <span className="ai-source-records">
                    {' — in '}
                    {item.recordIds.map((id, index) => {
                      const isEvent = id.startsWith(EVENT_PREFIX);
                      const plainId = isEvent ? id.slice(EVENT_PREFIX.length) : id;
                      const text = isEvent ? `event ${plainId}` : `record ${plainId}`;
                      const href = isEvent ? links.eventHref?.(plainId, {}) : links.recordHref?.(plainId);
                      return (
                        <span key={id}>
                          {index > 0 && ', '}
                          {href ? (
                            <AiLink href={href} onFollow={links.onFollow}>
                              {text}
                            </AiLink>
                          ) : (
                            text
                          )}
                        </span>
                      );
                    })}
                  </span>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
