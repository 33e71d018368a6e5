// Creates the API's least-privilege user (readWrite on the application database only) unless it exists.
// The same file runs in two places:
// - the image's entrypoint runs /docker-entrypoint-initdb.d/*.js once, on an empty data directory, with
//   `db` connected to its temporary mongod (bound to 127.0.0.1, started without --auth, --keyFile and
//   --replSet), so no credentials are needed there;
// - the bootstrap sidecar load()s it on every start of pod 0, with `db` on the primary (or standalone)
//   authenticated as root, so a volume whose first start died before the entrypoint got here still gets
//   the user.
// A block, not top-level constants: load() runs in the caller's global scope, possibly more than once.
{
  const database = process.env.PLAYERFINDER_DATABASE;
  const user = process.env.PLAYERFINDER_USERNAME;
  const passwordFile = process.env.PLAYERFINDER_PASSWORD_FILE;
  if (!database || !user || !passwordFile) {
    throw new Error('PLAYERFINDER_DATABASE, PLAYERFINDER_USERNAME and PLAYERFINDER_PASSWORD_FILE must be set');
  }
  // One trailing newline (LF or CRLF) is dropped, as the API does when it reads the same file (MONGODB_PASSWORD_FILE).
  const pwd = require('fs').readFileSync(passwordFile, 'utf8').replace(/\r?\n$/, '');
  const USER_ALREADY_EXISTS = 51003;
  try {
    db.getSiblingDB(database).createUser({ user, pwd, roles: [{ role: 'readWrite', db: database }] });
    print(`created user ${user} with readWrite on ${database}`);
  } catch (error) {
    if (error.code !== USER_ALREADY_EXISTS) throw error;
  }
}
