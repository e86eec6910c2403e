/* Native isolation probe: what a PD may not do, seen from inside — undelegated selectors, missing rights, revocation
 * taking effect at once (objects and memory). Its last step touches revoked memory, so the roottask kills it with #PF. */
#include "hrstd.h"

static void check(const char *what, unsigned got, unsigned want) {
  hrt_printf("%s: %u%s\n", what, got, got == want ? "" : " UNEXPECTED");
}

int main(void) {
  /* Selectors the roottask never delegated: nothing there. */
  check("call an empty selector (BAD_CAP=4)", hedron_call(300, 0), HEDRON_BAD_CAP);
  hedron_crd_t crd = hedron_obj_crd(300, 0, RIGHTS_ALL);
  hedron_pd_lookup(&crd);
  check("lookup an empty selector: type (null=0)", hedron_crd_type(crd), CRD_NULL);
  crd = hedron_obj_crd(SEL_SRV_STDOUT, 0, RIGHTS_ALL);
  hedron_pd_lookup(&crd);
  check("lookup the stdout portal: type (object=3)", hedron_crd_type(crd), CRD_OBJ);
  /* Wrong object types. */
  check("pt_ctrl on a PD (BAD_CAP)", hedron_pt_ctrl(SEL_OWN_PD, 1), HEDRON_BAD_CAP);
  check("sm_up on a portal (BAD_CAP)", hedron_sm_up(SEL_SRV_STDOUT), HEDRON_BAD_CAP);
  check("create_sm with a portal as owner PD (BAD_CAP)", hedron_create_sm(hrt_sel_alloc(1), SEL_SRV_STDOUT, 0), HEDRON_BAD_CAP);
  check("hardware hypercall assign_pci (BAD_CAP)", hedron_hypercall(HC_ASSIGN_PCI, 0, 0, 0, 0, 0, 0), HEDRON_BAD_CAP);
  check("unknown hypercall 42 (BAD_HYP=3)", hedron_hypercall(42, 0, 0, 0, 0, 0, 0), HEDRON_BAD_HYP);

  /* A semaphore delegated to another selector with the down right only. */
  uint64_t sm = hrt_sel_alloc(1), copy = hrt_sel_alloc(1);
  check("create_sm", hedron_create_sm(sm, SEL_OWN_PD, 1), HEDRON_SUCCESS);
  hedron_crd_t got = 0;
  check("delegate it, down right only", hedron_pd_delegate(SEL_OWN_PD, SEL_OWN_PD, hedron_obj_crd(sm, 0, SM_RIGHT_DOWN), XFER_DELEGATE,
                                                          hedron_obj_crd(copy, 0, RIGHTS_ALL), &got), HEDRON_SUCCESS);
  check("rights that arrived (down=2)", hedron_crd_rights(got), SM_RIGHT_DOWN);
  check("sm_up through the copy (BAD_CAP)", hedron_sm_up(copy), HEDRON_BAD_CAP);
  check("sm_down through the copy", hedron_sm_down(copy, 0, 0), HEDRON_SUCCESS);
  check("revoke the original's derived capabilities", hedron_revoke(hedron_obj_crd(sm, 0, RIGHTS_ALL), 0, 0), HEDRON_SUCCESS);
  check("sm_down through the revoked copy (BAD_CAP, at once)", hedron_sm_down(copy, 0, 0), HEDRON_BAD_CAP);
  check("sm_up on the original still works", hedron_sm_up(sm), HEDRON_SUCCESS);

  /* Memory: a page aliased read-only at a second address, then the alias revoked. */
  volatile uint64_t *page = hrt_alloc(4096, 4096);
  uint64_t alias_addr = 0x500000000ull;
  volatile uint64_t *alias = (volatile uint64_t *)alias_addr;
  check("delegate a page to an alias, read-only", hedron_pd_delegate(SEL_OWN_PD, SEL_OWN_PD, hedron_mem_crd((uint64_t)page, 0, MEM_R | MEM_W),
                                                                  XFER_DELEGATE, hedron_mem_crd(alias_addr, 0, MEM_R), &got), HEDRON_SUCCESS);
  page[0] = 0x1234;
  hrt_printf("alias reads 0x%lx (the same frame)\n", (unsigned long)alias[0]);
  hedron_pd_delegate(SEL_OWN_PD, SEL_OWN_PD, hedron_mem_crd(HEDRON_APP_UTCB, 0, MEM_R), XFER_DELEGATE,
                     hedron_mem_crd(0x600000000ull, 0, MEM_R), &got);
  crd = hedron_mem_crd(0x600000000ull, 0, MEM_R);
  hedron_pd_lookup(&crd);
  check("delegate the UTCB page: nothing arrives, lookup type (null=0)", hedron_crd_type(crd), CRD_NULL);
  check("revoke the alias", hedron_revoke(hedron_mem_crd(alias_addr, 0, MEM_R | MEM_W | MEM_X), REVOKE_SELF, 0), HEDRON_SUCCESS);
  hrt_printf("reading the revoked alias now faults:\n");
  return (int)alias[0];
}
