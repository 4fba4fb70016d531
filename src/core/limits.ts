/** Sizes the service enforces in core (MSNP5.md 8.2, 14). Wire-level limits live in server/. */
export interface ListLimits {
  /** FL entries per account (210 beyond). */
  forwardList: number;
  /** AL, BL and RL entries per account (210 beyond). */
  otherLists: number;
}

export const DEFAULT_LIST_LIMITS: ListLimits = { forwardList: 150, otherLists: 1000 };
