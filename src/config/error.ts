// A bad setting. Its message is one line naming the variable and the rule it broke, never the value: a
// connection string or a password can hold credentials, and errors end up in logs. (File paths are named:
// they hold no secret.)
export class ConfigError extends Error {
  override name = 'ConfigError';
}
