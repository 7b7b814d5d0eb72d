/** The prefix of the scratch databases `migrate:check` creates, and always drops. */
export const SCRATCH_DATABASE_PREFIX = 'veza_drift_'
