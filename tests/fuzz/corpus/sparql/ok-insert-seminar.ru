INSERT DATA { GRAPH <urn:test:g> { <seminar/essai-2023-03-09> a lg:Seminar, schema:Event ;
  schema:name "Séminaire d'essai"@fr ; schema:startDate "2023-03-09"^^xsd:date ;
  schema:organizer <org/irev> ; schema:superEvent <series/lab-des-transitions> ;
  dct:source <https://example.org/essai> } }
