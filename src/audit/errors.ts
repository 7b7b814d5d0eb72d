/** The schema asked for does not exist in the database. */
export class SchemaNotFoundError extends Error {
  override readonly name = 'SchemaNotFoundError'

  constructor(
    /** The schema's name, as given. */
    readonly schema: string,
  ) {
    super(`schema "${schema}" does not exist in this database`)
  }
}
