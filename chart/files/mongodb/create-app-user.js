// Creates the API's least-privilege user: readWrite on the application database only.
// The mongo image runs /docker-entrypoint-initdb.d/*.js once, on an empty data directory, as the root user,
// against a temporary mongod bound to 127.0.0.1. The password comes from the Secret through the environment
// (secretKeyRef), so this file holds no credentials.
const database = process.env.PLAYERFINDER_DATABASE;
const user = process.env.PLAYERFINDER_USERNAME;
const pwd = process.env.PLAYERFINDER_PASSWORD;
if (!database || !user || !pwd) {
  throw new Error('PLAYERFINDER_DATABASE, PLAYERFINDER_USERNAME and PLAYERFINDER_PASSWORD must be set');
}
db.getSiblingDB(database).createUser({ user, pwd, roles: [{ role: 'readWrite', db: database }] });
print(`created user ${user} with readWrite on ${database}`);
