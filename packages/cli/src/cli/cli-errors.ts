import { UsageError } from '../demo/demo-errors';

/** A `--config` file that is missing, not JSON, or names options the command does not have. */
export class ConfigFileError extends UsageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CONFIG_FILE', message, options);
  }
}

/** A flag with a value the command cannot use. */
export class OptionValueError extends UsageError {
  constructor(message: string) {
    super('ERR_OPTION_VALUE', message);
  }
}

/** A `--model` folder that `arcface train` did not write. */
export class ModelFolderError extends UsageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_MODEL_FOLDER', message, options);
  }
}

/** A `--plugin` module that cannot be imported or registers nothing. */
export class PluginError extends UsageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PLUGIN', message, options);
  }
}
