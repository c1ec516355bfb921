import { MemoryLeaseStore } from "../lib/lease/memory_store.ts";
import { runLeaseStoreContract } from "./contracts/lease_store_contract.ts";

runLeaseStoreContract("MemoryLeaseStore", () => new MemoryLeaseStore());
