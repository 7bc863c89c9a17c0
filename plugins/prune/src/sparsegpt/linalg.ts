/** The error sparseGpt throws for a Hessian that damping did not make positive definite. */

/** Thrown when the damped Hessian is not positive definite (core's prepareHessian gave up raising the damping). */
export class NotPositiveDefinite extends Error {
  constructor() {
    super('the damped Hessian is not positive definite');
  }
}
