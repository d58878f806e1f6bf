import { getMetadataStorage } from 'class-validator';

type MetadataStorage = ReturnType<typeof getMetadataStorage>;
type TargetMetadatas = ReturnType<MetadataStorage['getTargetValidationMetadatas']>;
type GroupedMetadatas = ReturnType<MetadataStorage['groupByPropertyName']>;

const MEMOIZED = Symbol.for('finops.classValidatorMetadataMemoized');

/**
 * class-validator resolves a class's rules on every `validate()` by scanning every decorated class
 * of the process for ancestors (typestack/class-validator#2686), then groups them by property, also
 * on every call: with this app's DTOs that was the largest single cost of a validated request.
 * A class's rules, its own and inherited, are all registered when its module loads, before it can
 * be validated, and never change after: both answers are memoized per class and options.
 * Idempotent; the storage is the process-wide one every class-validator copy shares.
 */
export function memoizeValidationMetadata(storage: MetadataStorage = getMetadataStorage()): void {
  const marked = storage as MetadataStorage & { [MEMOIZED]?: true };
  if (marked[MEMOIZED]) return;
  marked[MEMOIZED] = true;

  const resolve = storage.getTargetValidationMetadatas.bind(storage);
  const byTarget = new WeakMap<object, Map<string, TargetMetadatas>>();
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    let perOptions = byTarget.get(target);
    if (!perOptions) byTarget.set(target, (perOptions = new Map()));
    const key = `${schema}\u0000${always}\u0000${strictGroups}\u0000${groups?.join('\u0001') ?? ''}`;
    let metadatas = perOptions.get(key);
    if (!metadatas) perOptions.set(key, (metadatas = resolve(target, schema, always, strictGroups, groups)));
    return metadatas;
  };

  const group = storage.groupByPropertyName.bind(storage);
  const grouped = new WeakMap<TargetMetadatas, GroupedMetadatas>();
  storage.groupByPropertyName = (metadatas) => {
    let byProperty = grouped.get(metadatas);
    if (!byProperty) grouped.set(metadatas, (byProperty = group(metadatas)));
    return byProperty;
  };
}
