INSERT DATA { <urn:test:s> <urn:test:p> 1 }
