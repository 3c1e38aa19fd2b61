// (lead) placeholder so the build configures; the owning helper replaces this file
