// Portal: the entry of a local EC, with the MTD the kernel uses for event messages and the id handed to the handler in RDI.
// Nothing else: the call/reply paths live in ipc.ts.

export interface Pt {
  id: number;
  refs: number;
  ec: number;
  mtd: number;
  ip: number;
  /** Set by pt_ctrl, 0 at creation; the handler receives it in RDI. */
  portalId: number;
  dead: boolean;
}

export function createPt(id: number, ec: number, mtd: number, ip: number): Pt {
  return { id, refs: 0, ec, mtd, ip, portalId: 0, dead: false };
}
