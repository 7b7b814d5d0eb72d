/** The embedded server's directory, relative to the working directory. */
export const EMBEDDED_DIRECTORY = '.data'
/** The database of the embedded server that the commands work on. */
export const EMBEDDED_DATABASE = 'veza'
