/** The API group and version of every dbfleet resource. */
export const GROUP = "dbfleet.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Annotation that pauses every remote call of one set, whatever its spec says. */
export const PAUSED_ANNOTATION = `${GROUP}/paused`;
/** Annotation whose value approves the pending plan with that hash. */
export const APPROVE_PLAN_ANNOTATION = `${GROUP}/approve-plan`;
