/** Moving a model's default-domain opset: the table, the adapters, and the verified upgrade. */
export { MIN_OPSET, MAX_OPSET, OP_VERSIONS, minIrVersion, crossings } from './versions.js';
export { checkOpsetRange, planUpgrade, upgradeOpset, type Blocker, type UpgradeReport } from './upgrade.js';
export { checkUpgrade, upgradeVerified, verifyUpgrade, type Verification, type VerifyOptions } from './verify.js';
