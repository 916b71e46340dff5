// DCS's own limits, one home each (docs/protocols/dcs.md).

/** Ids in one batch delete: the batch size an edition of the DCS API documentation states; no newer limit is known. */
export const MAX_BATCH_DELETE = 50;
